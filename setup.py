"""Packaging: metadata lives in setup.cfg; this file only bundles the top-level folders.

The portal's templates/ and practices/ stay at the top of the repository. A wheel carries a
copy of them as data inside the kb package (kb/bundled/templates, kb/bundled/practices), which
kb.config.bundled() finds when the portal runs from an installed wheel.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("templates", "practices")


class BuildWithBundledFolders(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the folders where they are
        for name in BUNDLED:
            target = Path(self.build_lib) / "kb" / "bundled" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / name, target,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithBundledFolders})
