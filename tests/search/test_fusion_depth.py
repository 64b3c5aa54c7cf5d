"""The lexical list fused with the dense neighbours goes deeper than the page, but never
into a lower tier: practices lacking one of the words rank below those with all anyway."""

from __future__ import annotations

from search import SearchIndex, Viewer

from conftest import make_doc

BOTH = [make_doc(i, title=f"Flood barrier {i}", summary="A removable flood barrier.")
        for i in range(1, 13)]
FLOOD = [make_doc(i, title=f"Flood warning {i}", summary="Text messages before a flood.")
         for i in range(13, 33)]
BARRIER = [make_doc(i, title=f"Noise barrier {i}", summary="A barrier along the ring road.")
           for i in range(33, 38)]


def _ranked(idx: SearchIndex, need: int, deeper: int) -> list[int]:
    def run(view):
        built, degraded, _ = idx._build(view, "flood barrier", "or")
        result = view.docset(built.query) & view.visible(Viewer())
        found = idx._ranked(view, "flood barrier", built, result, need, degraded,
                            deeper=deeper)
        return [int(view.ids[d]) for d, _score in found]
    return idx._read(run)


def test_going_deeper_stays_in_the_tier_that_fills_the_page(tmp_path):
    idx = SearchIndex(str(tmp_path / "ix"))
    idx.rebuild(BOTH + FLOOD + BARRIER, 1)
    both = {d["id"] for d in BOTH}
    page = _ranked(idx, 10, 0)
    deep = _ranked(idx, 10, 30)
    assert len(page) == 10 and set(page) <= both
    assert deep[:10] == page                  # the page itself does not change
    assert set(deep) == both                  # the rest of its tier, and nothing below

    # a page the first tier cannot fill goes on into the next, and deeper there
    page = _ranked(idx, 15, 0)
    deep = _ranked(idx, 15, 30)
    assert deep[:15] == page and set(page[:12]) == both
    assert len(deep) == len(BOTH) + len(FLOOD) + len(BARRIER)
    idx.close()
