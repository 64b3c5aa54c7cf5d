"""The index follows the text analysis the portal runs."""

from __future__ import annotations

import logging

from search import decompound
from search.decompound import Decompounder

from kb.services.search import get_index


def test_a_start_with_another_analysis_rebuilds_the_index(make_app, tmp_path, caplog):
    instance = str(tmp_path / "node")
    app = make_app(INSTANCE_PATH=instance)
    with app.app_context():
        built_with = get_index().analysis()
        assert built_with == decompound.setup()
    app.extensions["kb.search"].close()
    caplog.set_level(logging.INFO)
    decompound.set_decompounder(Decompounder(use_voikko=False, use_frequencies=False))
    try:
        again = make_app(INSTANCE_PATH=instance)
        with again.app_context():
            index = get_index()
            assert index.analysis() == decompound.setup() != built_with
            assert not index.analysis_outdated()
            assert len(index.doc_ids()) == 6
        assert "search analysis: fi: none" in caplog.text
        assert "built with another analysis set-up" in caplog.text
    finally:
        decompound.set_decompounder(None)
