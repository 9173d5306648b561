"""Tab tables whose header has an unnamed column (a unit column) or names its label column: the cells
stay under the header's columns, so the composer reads the cell under the asked year."""

from __future__ import annotations

import pytest

from qa.chunking.lines import split_lines
from qa.chunking.tables import parse_table
from qa.compose.extract import row_cells


def _cell(text: str, row_label: str, year: str) -> str | None:
    table = parse_table(split_lines(text))
    row = next(r for r in table.rows if r.lines[0].text.startswith(row_label))
    raw = "\n".join(ln.raw for ln in row.lines)
    return next((c.span.text for c in row_cells(raw, table.header) if c.column == year), None)


def test_a_year_header_keeps_an_unnamed_unit_column() -> None:
    text = "\t\t2023\t2022\nScope 1 emissions\tt CO2e\t1,234\t1.150\nWaste recycled\t%\t\t1,48"
    assert parse_table(split_lines(text)).header == ["", "2023", "2022"]
    assert _cell(text, "Scope 1", "2023") == "1,234"
    assert _cell(text, "Scope 1", "2022") == "1.150"
    assert _cell(text, "Waste", "2023") is None
    assert _cell(text, "Waste", "2022") == "1,48"


def test_a_header_that_names_the_label_and_unit_columns() -> None:
    text = "Key figure\tUnit\t2023\t2022\nEnergy use\tMWh\t4.660\t5.012"
    table = parse_table(split_lines(text))
    assert table.header == ["Unit", "2023", "2022"]
    assert [ln.text for r in table.rows for ln in r.lines] == ["Energy use\tMWh\t4.660\t5.012"]
    assert _cell(text, "Energy", "2022") == "5.012"


def test_footnote_marks_after_a_year_leave_the_column_name() -> None:
    text = "\t2023\t2022⁽¹²⁾\t2021*\nScope 1\t1,772.6 t\t1,293.5 t\t1,107.3 t"
    assert parse_table(split_lines(text)).header == ["2023", "2022", "2021"]
    assert _cell(text, "Scope 1", "2022") == "1,293.5 t"


@pytest.mark.parametrize(
    ("header", "year"),
    [("2023", "2023"), ("FY2022", "2022"), ("2018 (Base year)", "2018"), ("2023 Merck Group", "2023"),
     ("GRI 404-1 GRI 403-2 2021", "2021"),  # reference codes printed into the header cell before the year
     ("2020-2022", None), ("ISO 14001:2015", None), ("GRI 2-7 2021-2022", None), ("in 2021 %", None), ("Unit", None)],
)
def test_column_year_reads_a_leading_or_trailing_year_only(header: str, year: str | None) -> None:
    from qa.compose.extract import column_year

    assert column_year(header) == year


BANDS = ("12/31/2023\t<30\t30-50\t>50\tTotal\nFemale\t117\t174\t26\t317\nMale\t158\t249\t51\t458\n"
         "12/31/2022\t<30\t30-50\t>50\tTotal\nFemale\t130\t142\t25\t297\nMale\t145\t209\t41\t395")


def test_an_age_band_header_names_the_columns_and_its_date_the_rows() -> None:
    table = parse_table(split_lines(BANDS))
    assert table.header == ["<30", "30-50", ">50", "Total"]
    assert [(r.lines[0].text.split("\t")[0], r.as_of) for r in table.rows] == [
        ("Female", "12/31/2023"), ("Male", "12/31/2023"), ("Female", "12/31/2022"), ("Male", "12/31/2022")]
    assert _cell(BANDS, "Male", "30-50") == "249"


@pytest.mark.parametrize("line", [
    "Salary band\t1-2\t3-4",  # closed ranges only: figures, not a header
    "Temperature\t<5\t7",  # an open band beside a plain figure
    "Scope 1\t1,234\t1,150",
    "Intensity in t CO2e/EUR million\t<113\t<107\t<102",  # open bounds alone: targets
    "Transition risk\tAbove 4° C scenario\tBelow 2° C scenario",  # words that start like a band
])
def test_rows_of_figures_are_not_band_headers(line: str) -> None:
    from qa.chunking.tables import is_band_header

    assert not is_band_header(split_lines(line)[0])
