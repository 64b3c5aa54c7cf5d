"""A wheel installs and runs outside the checkout (slow: builds a wheel and a virtualenv).

Run with `pytest -m slow tests/test_packaging.py`; CI runs the same script, .ci/wheel-check.
"""

from __future__ import annotations

import subprocess

import pytest

from kb.config import REPO_ROOT


@pytest.mark.slow
def test_the_wheel_installs_into_a_clean_venv_and_serves_from_the_current_folder():
    result = subprocess.run([str(REPO_ROOT / ".ci" / "wheel-check")], capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "wheel-check: ok" in result.stdout
