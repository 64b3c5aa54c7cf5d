"""The cell rule every CSV export of the portal goes through."""

from __future__ import annotations

import csv
import io

import pytest

from kb.services.csvfile import csv_cell, csv_text


@pytest.mark.parametrize("text", ["=2+5+cmd|' /C calc'!A0", "+1", "-1+1", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_is_quoted(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("value", [-3, -0.8333, 0, 12.5, "Flood wardens", "2021-2023",
                                   "a=b", "", None])
def test_numbers_and_plain_text_are_kept(value):
    assert csv_cell(value) == value


def test_a_document_keeps_negative_numbers_and_quotes_formulas():
    rows = list(csv.reader(io.StringIO(csv_text(["name", "change"],
                                                [["=HYPERLINK(\"http://x\")", -0.5]]))))
    assert rows == [["name", "change"], ["'=HYPERLINK(\"http://x\")", "-0.5"]]
