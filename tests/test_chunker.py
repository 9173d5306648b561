"""The structure-aware chunker on both real reports (real tokenizer) and on tiny literal reports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from qa.chunking.chunker import Chunker
from qa.ingest import Document, load_document
from qa.models import Chunk, ReportInfo, Unit
from qa.reports import ReportRegistry
from qa.text import collapse_ws
from tests.test_eval_sets_held_out import ROOT, SHARED_CORPUS

REPO = Path(__file__).resolve().parent.parent
IDS = ["xiaomi-esg-2020", "xiaomi-esg-2022"]
Split = tuple[Document, list[Chunk], list[Unit]]


@pytest.fixture(scope="module")
def real_chunks(settings: Any, token_counter: Any) -> dict[str, Split]:
    reg = ReportRegistry(settings.manifest_path, settings.root).load()
    chunker = Chunker(token_counter.model, token_counter.cl100k, settings.chunk_max_tokens, settings.chunk_target_tokens)
    out: dict[str, Split] = {}
    for r in reg.reports:
        doc = load_document(reg.path_of(r))
        chunks, units = chunker.split(r, doc)
        out[r.id] = (doc, chunks, units)
    return out


@pytest.mark.parametrize("rid", IDS)
def test_every_chunk_and_unit_round_trips(real_chunks: dict[str, Split], rid: str) -> None:
    doc, chunks, units = real_chunks[rid]
    assert len(chunks) > 100 and len(units) > len(chunks)
    for c in chunks:
        assert c.report_id == rid and c.source == f"seeds/{rid}.txt"
        assert 0 <= c.start < c.end <= len(doc.text)
        assert collapse_ws(doc.text[c.start : c.end]) == collapse_ws(c.text), c.id
        assert c.text.strip(), c.id
    for u in units:
        c = chunks[u.chunk_index]
        assert c.start <= u.start < u.end <= c.end
        assert collapse_ws(doc.text[u.start : u.end]) == collapse_ws(u.text)
    # chunks are in order and never overlap
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.end <= b.start


@pytest.mark.parametrize("rid", IDS)
def test_no_chunk_exceeds_the_model_window(real_chunks: dict[str, Split], token_counter: Any, rid: str) -> None:
    _doc, chunks, _units = real_chunks[rid]
    for c in chunks:
        n = token_counter.model(c.text)
        assert n <= 240, (c.id, n)
        assert c.tokens == n
        assert c.tokens_cl100k == token_counter.cl100k(c.text) > 0


def _sections(split: Split) -> set[str]:
    return {c.section for c in split[1]}


def test_numbered_headings_of_2020(real_chunks: dict[str, Split]) -> None:
    secs = _sections(real_chunks["xiaomi-esg-2020"])
    assert "1. Environmental Management > 1.1 Green Operations" in secs
    assert "9. Fight against Covid-19 > 9.3 Innovative Solutions" in secs
    assert "4. People First > 4.3 Employee Development" in secs
    assert "I. About the Report" in secs
    # a value line such as `2.22 MWh` is never a heading
    assert not any(re.search(r"\d MWh", s) for s in secs)


def test_titled_headings_of_2022(real_chunks: dict[str, Split]) -> None:
    secs = _sections(real_chunks["xiaomi-esg-2022"])
    leaves = {s.split(" > ")[-1] for s in secs} | {p for s in secs for p in s.split(" > ")}
    for heading in ("Key Environmental Indicators", "Key Social Indicators", "Energy Management",
                    "Data Security and Privacy Protection"):
        assert heading in leaves, heading


def _by_text(split: Split, needle: str) -> list[Chunk]:
    return [c for c in split[1] if needle in c.text]


def test_ghg_kpi_row_is_one_table_row_with_its_header(real_chunks: dict[str, Split]) -> None:
    rows = [c for c in _by_text(real_chunks["xiaomi-esg-2022"], "Total GHG Emissions (Scope 1 and Scope 2)")
            if c.kind == "table_row"]
    assert len(rows) == 1
    row = rows[0]
    assert row.header == ["2022", "2021", "2020"]
    for value in ("85,742.61", "82,820.1", "66,481.29"):
        assert value in row.text
    assert "(Metric Tons CO ₂ e)" in row.text  # the wrapped unit line joined its row
    assert "2022 | 2021 | 2020" in row.context
    assert row.table_title == "Key Environmental Indicators"
    assert row.section.endswith("Key Environmental Indicators")


def test_hazardous_waste_rows_keep_table_and_group(real_chunks: dict[str, Split]) -> None:
    [row] = [c for c in _by_text(real_chunks["xiaomi-esg-2022"], "Hazardous Waste (Metric Tons)")
             if c.kind == "table_row"]
    assert "2.50" in row.text and row.header == ["2022", "2021", "2020"]
    assert "Consumption" in row.context


def test_2020_label_value_pair_is_one_chunk_and_one_unit(real_chunks: dict[str, Split]) -> None:
    doc, chunks, units = real_chunks["xiaomi-esg-2020"]
    holding = [c for c in chunks if "Total GHG Emissions3" in c.text and "31,347.06 t" in c.text]
    assert len(holding) == 1
    assert holding[0].kind == "kpi"
    assert holding[0].section == "1. Environmental Management > 1.1 Green Operations"
    pair = [u for u in units if "Total GHG Emissions3" in u.text and "31,347.06 t" in u.text]
    assert len(pair) == 1
    assert collapse_ws(pair[0].text) == "Total GHG Emissions3 31,347.06 t"
    # every value line of this KPI block is in a chunk with its label
    for label, value in (("Direct Energy Consumption", "3,192.70 MWh"), ("Hazardous Waste", "0.367 t")):
        assert any(label in u.text and value in u.text for u in units), label
    # a label wrapped onto a lower-case line stays whole: `0.019 kg` / `Hazardous Waste` / `per Employee`
    texts = {collapse_ws(u.text) for u in units}
    assert "0.019 kg Hazardous Waste per Employee" in texts
    assert "0.24 t Non-Hazardous Waste per Employee" in texts


def test_disclosure_index_tables_are_tagged_index(real_chunks: dict[str, Split]) -> None:
    c2022 = [c for c in _by_text(real_chunks["xiaomi-esg-2022"], "A1.1") if "HKEx ESG Guide" in c.text]
    assert c2022 and all(c.kind == "index" for c in c2022)
    gri = [c for c in real_chunks["xiaomi-esg-2022"][1] if "GRI Standards\t" in c.text]
    assert gri and all(c.kind in ("index", "navigation") for c in gri)
    c2020 = _by_text(real_chunks["xiaomi-esg-2020"], "102-16 Values, principles")
    assert c2020 and all(c.kind == "index" for c in c2020)
    for rid in IDS:
        chunks = real_chunks[rid][1]
        index_chunks = [c for c in chunks if c.kind == "index"]
        assert len(index_chunks) >= 10
        # the index part is the tail of the report: no real content after its first chunk
        first = min(c.start for c in index_chunks)
        after = [c for c in chunks if c.start > first and c.kind not in ("index", "navigation")]
        assert after == [], [c.text[:60] for c in after[:3]]


def test_navigation_runs_and_footers_are_tagged_navigation(real_chunks: dict[str, Split]) -> None:
    chunks = real_chunks["xiaomi-esg-2022"][1]
    nav = [c for c in chunks if c.kind == "navigation"]
    assert any(c.text.startswith("CONTENTS") for c in nav)
    run = "Technology Created to Better Lives\n\nExploration and Accessibility of Technology"
    assert [c for c in chunks if run in c.text] and all(c.kind == "navigation" for c in chunks if run in c.text)
    # a chapter-name run never lands inside a content chunk
    assert not any(c.kind != "navigation" and "Responsible Product and User Experience\n\nCreating Shared Success"
                   in c.text for c in chunks)
    chunks20 = real_chunks["xiaomi-esg-2020"][1]
    for footer in ("1252020 ANNUAL REPORT", "1652020 ANNUAL REPORT"):
        holding = [c for c in chunks20 if footer in c.text]
        assert len(holding) == 1 and holding[0].kind == "navigation"
        assert collapse_ws(holding[0].text) == footer


KNOWN_HEADINGS = {
    "xiaomi-esg-2020": ["1.1 Green Operations", "1.2 Green Product and Packaging", "9.3 Innovative Solutions",
                        "2. Quality as Always", "5.3 Mi Fan Culture"],
    "xiaomi-esg-2022": ["Key Environmental Indicators", "Key Social Indicators", "Energy Management",
                        "Certification and Awards"],
}


@pytest.mark.parametrize("rid", IDS)
def test_chunks_never_cross_a_section_boundary(real_chunks: dict[str, Split], rid: str) -> None:
    from qa.chunking.lines import split_lines
    from qa.chunking.structure import analyse

    doc, chunks, _ = real_chunks[rid]
    lines = split_lines(doc.text)
    heading_starts = [lines[i].start for i, _ in analyse(lines).headings]
    # the literal headings too, found without the chunker's own analysis
    for h in KNOWN_HEADINGS[rid]:
        found = [m.start() for m in re.finditer(rf"(?m)^[ \t]*{re.escape(h)}[ \t\d]*$", doc.text)]
        assert found, h
        heading_starts.extend(found)
    heading_starts.sort()
    import bisect

    for c in chunks:
        i = bisect.bisect_left(heading_starts, c.start)
        assert i == len(heading_starts) or heading_starts[i] >= c.end, (c.id, c.text[:80])
    for h in KNOWN_HEADINGS[rid]:
        assert not any(re.search(rf"(?m)^[ \t]*{re.escape(h)}[ \t\d]*$", c.text) for c in chunks), h


def test_first_row_of_a_text_table_is_kept(real_chunks: dict[str, Split]) -> None:
    chunks = real_chunks["xiaomi-esg-2022"][1]
    assert any("Information Security Management Standard (ISMS)" in c.text for c in chunks)


# ---------------------------------------------------------------------- literal reports
def _split(text: str) -> tuple[list[Chunk], list[Unit]]:
    report = ReportInfo(id="tiny", company="X", title="Tiny", year=2022, years_covered=[2020, 2021, 2022],
                        source="tiny.txt", original_name="tiny.txt", sha256="0" * 64)
    chunks, units = Chunker(lambda t: len(t.split()), max_tokens=60, target_tokens=40).split(
        report, Document(path=Path("tiny.txt"), text=text)
    )
    for c in chunks:
        assert collapse_ws(text[c.start : c.end]) == collapse_ws(c.text)
    return chunks, units


def _row_contexts(text: str) -> dict[str, str]:
    """Each table row's context, by its label (the row's text before its first tab)."""
    chunks, _ = _split(text)
    return {c.text.split("\t")[0]: c.context for c in chunks if c.kind == "table_row"}


NUMBERED = """1. Environmental Management

1.1 Green Operations

We reduced the energy used by our offices this year. The new building management system saved power.

Total GHG Emissions3

31,347.06 t

Direct Energy Consumption

3,192.70 MWh

1.2 Green Packaging

All our packaging is recyclable. Plastic was cut by half.

2. People First

2.1 Employee Rights

We respect the rights of every employee and forbid child labour.
"""


def test_literal_numbered_report() -> None:
    chunks, units = _split(NUMBERED)

    def section_of(needle: str) -> Chunk:
        [c] = [c for c in chunks if needle in c.text]
        return c

    assert section_of("We reduced the energy").section == "1. Environmental Management > 1.1 Green Operations"
    assert section_of("Plastic was cut").section == "1. Environmental Management > 1.2 Green Packaging"
    assert section_of("child labour").section == "2. People First > 2.1 Employee Rights"
    kpi = section_of("31,347.06 t")
    assert kpi.kind == "kpi" and "Total GHG Emissions3" in kpi.text
    assert kpi.section == "1. Environmental Management > 1.1 Green Operations"
    assert any(collapse_ws(u.text) == "Direct Energy Consumption 3,192.70 MWh" for u in units)
    assert not any("Green Packaging" in c.text or "People First" in c.text for c in chunks)
    assert section_of("We reduced the energy").kind == "text"
    sentences = [u.text for u in units if "building management" in u.text or "We reduced" in u.text]
    assert sentences == ["We reduced the energy used by our offices this year.",
                         "The new building management system saved power."]


TABLE = (
    "Key Environmental Indicators\n\n"
    "\t2022\t2021\t2020\n"
    "Consumption\t\t\t\n"
    "Total GHG Emissions (Scope 1 and Scope 2)\t85,742.61\t82,820.1\t66,481.29\n"
    "(Metric Tons)\t\t\t\n"
    "Total Packaging Materials used for Finished Products\t\t\t\n"
    "(Metric Tons) 39\t5,065.08\t-\t-\n"
    "Profile of Full-time Employees\t\t\t\n"
    "By Gender\t\t\t\n"
    "Male\t25,000\t24,000\t20,000\n"
    "Female\t8,000\t7,500\t6,000\n"
)


def test_literal_tab_table() -> None:
    chunks, _ = _split(TABLE)
    rows = [c for c in chunks if c.kind == "table_row"]
    assert len(rows) == 4
    ghg, pack, male, female = rows
    assert ghg.text.endswith("(Metric Tons)") and "66,481.29" in ghg.text  # wrapped unit line joins its row
    assert ghg.header == ["2022", "2021", "2020"]
    assert ghg.context == "Key Environmental Indicators | Consumption | columns: 2022 | 2021 | 2020"
    assert pack.text.startswith("Total Packaging Materials") and "5,065.08" in pack.text  # label wrapped above
    assert "Profile of Full-time Employees > By Gender" in male.context  # nested group labels
    assert "By Gender" in female.context and female.header == ["2022", "2021", "2020"]
    assert all(c.section == "Key Environmental Indicators" for c in rows)
    assert all(c.table_title == "Key Environmental Indicators" for c in rows)
    assert not any("Key Environmental Indicators" in c.text for c in chunks)


SIBLINGS = (
    "Employees\n\n"
    "\t2022\t2021\t2020\n"
    "Profile of Full-time Employees\t\t\t\n"
    "By Gender\t\t\t\n"
    "Male\t25,000\t24,000\t20,000\n"
    "By Age Group\t\t\t\n"
    "Under 30\t9,000\t8,000\t7,000\n"
    "\n"
    "\t2022\t2021\t2020\n"
    "By Region\t\t\t\n"
    "China\t30,066\t31,115\t20,586\n"
    "Other Groups\t\t\t\n"
    "Interns\t900\t800\t700\n"
    "\n"
    "\t2019\t2018\n"
    "Overall\t71\t3\n"
)


def test_a_sibling_group_label_keeps_its_parent_across_a_page_break() -> None:
    rows = _row_contexts(SIBLINGS)
    assert "Profile of Full-time Employees > By Gender |" in rows["Male"]
    assert "Profile of Full-time Employees > By Age Group |" in rows["Under 30"]  # `By …` parallels `By Gender`
    # the same header repeated after a page break continues the table and its open group
    assert "Profile of Full-time Employees > By Region |" in rows["China"]
    assert "Employees | Other Groups |" in rows["Interns"]  # parallels no open group: it replaces the group
    assert "Other Groups" not in rows["Overall"] and "Profile" not in rows["Overall"]  # other columns: a new table


def test_a_caption_line_above_a_table_joins_its_rows_context() -> None:
    text = ("Equal opportunities\n\nWe promote diversity in all our teams.\n\nAge distribution of female employees\n"
            "\t2023\t2022\n< 30 years\t13.1%\t14.6%\n\n30–50 years\t67.8%\t66.4%\n\nWe hired more women this year.\n\n"
            "\t2023\t2022\nShare Female Managers\t14.2%\t12.4%\n")
    rows = _row_contexts(text)
    assert rows["< 30 years"] == "Age distribution of female employees | columns: 2023 | 2022"
    assert rows["30–50 years"] == rows["< 30 years"]  # the same table after a blank line keeps its caption
    assert rows["Share Female Managers"] == "columns: 2023 | 2022"  # a sentence is no caption


def test_a_block_of_other_width_after_text_does_not_take_the_columns_before() -> None:
    text = ("\t<30\t30-50\t>50\tTotal\nMale\t158\t249\t51\t458\n\nAs of year-end we employed 775 staff.\n\n"
            "Female\t117\t174\t26\t317\n\nWe set goals for women in management.\n\nMale\t69\t78\t59\n")
    chunks, _ = _split(text)
    rows = [c for c in chunks if c.kind == "table_row"]
    bands = ["<30", "30-50", ">50", "Total"]
    assert [r.header for r in rows] == [bands, bands, None]  # four figures a row fit the four columns; three do not


def test_a_band_table_printed_per_date_keeps_each_rows_date() -> None:
    text = ("Employees by gender and age group\n\n12/31/2023\t<30\t30-50\t>50\tTotal\nFemale\t117\t174\t26\t317\n"
            "12/31/2022\t<30\t30-50\t>50\tTotal\nFemale\t130\t142\t25\t297\n")
    chunks, _units = _split(text)
    rows = {c.text: c for c in chunks if c.kind == "table_row"}
    assert set(rows) == {"Female\t117\t174\t26\t317", "Female\t130\t142\t25\t297"}  # the headers are not rows
    assert rows["Female\t117\t174\t26\t317"].as_of == "12/31/2023"
    assert rows["Female\t130\t142\t25\t297"].as_of == "12/31/2022"
    assert "12/31/2022" in rows["Female\t130\t142\t25\t297"].context
    assert rows["Female\t130\t142\t25\t297"].header == ["<30", "30-50", ">50", "Total"]


def test_a_headerless_table_printed_once_per_year_keeps_each_blocks_year() -> None:
    text = ("Employee age by region\n\nNumber of employees Worldwide Europe Asia\n\n2022\n\n"
            "Up to 29 years old\t9,926\t3,530\t2,999\nAverage age\t41.6\t43.1\t37.3\n2023\t\n"
            "Up to 29 years old\t8,743\t3,294\t2,634\nthereof women\t4,150\t1,521\t1,323\n"
            "Average age\t41.5\t42.9\t37.4\n")
    chunks, _ = _split(text)
    rows = {c.text: c for c in chunks if c.kind == "table_row"}
    old, new = rows["Average age\t41.6\t43.1\t37.3"], rows["Average age\t41.5\t42.9\t37.4"]
    assert old.as_of == "2022" and new.as_of == "2023"  # the year alone above the block, then the block's own year line
    assert old.context.endswith("| 2022") and "2022" not in new.context and new.context.endswith("| 2023")
    assert rows["thereof women\t4,150\t1,521\t1,323"].as_of == "2023"  # a part of a row of the 2023 block
    # a table with a header row takes no year band above it: `2018` there is a header's broken-off cell
    chunks, _ = _split("Targets\n\n2018\n\nKPI\tUnit\t2025\t2030\nWork accidents\tper 100 FTE\t3.3\t2.0\n")
    row = next(c for c in chunks if c.kind == "table_row")
    assert row.as_of is None and "2018" not in row.context


def test_a_table_printed_as_label_and_figure_lines_keeps_its_caption_and_column_names() -> None:
    text = ("Our workforce grew again this year.\n\nfigure 2 type of contract – group total\n"
            "permanent temporary\nfemale male female male\nheadcount total 2,524 1,777 747\n\n"
            "Acme Bank Vienna\n114 47 67 9 4 5\nAcme Bank Zagreb\n777 555 222 25 19 6\n\n"
            "Energy use fell.\n\nTotal GHG Emissions\n31,347.06 t\nHazardous Waste\n2.5 t\n")
    chunks, _ = _split(text)
    kpi = [c for c in chunks if c.kind == "kpi"]
    banks = next(c for c in kpi if "Acme Bank Vienna" in c.text)
    # the lines above the run, their body figures left out: what tells this table from another by bank
    assert banks.context.startswith("figure 2 type of contract – group total permanent temporary")
    assert "2,524" not in banks.context and "Our workforce" not in banks.context  # a sentence ends the search
    # pairs of one figure each need no column names: their labels say what they count
    assert all(not c.context for c in kpi if "Total GHG Emissions" in c.text)


def test_a_headerless_table_after_text_is_named_by_the_short_lines_above_it() -> None:
    text = ("Acme Bank Vienna\t62.9%\t1,087.1%\nAcme Bank Zagreb\t67.7%\t2,949.9%\n\n"
            "figure 7 gender pay gap\n\npay gap\n\nacme group\n\nmedian, women to men\n\n"
            "OFFICERS level 1\t87.42%\nOFFICERS level 2\t100.67%\n")
    rows = _row_contexts(text)
    # not the table above going on (text lies between and it names no columns): its own caption, figures left out
    assert rows["OFFICERS level 1"] == "figure 7 gender pay gap pay gap acme group median, women to men"
    assert "Zagreb" not in rows["OFFICERS level 2"]


def test_a_band_label_that_restates_the_caption_for_another_date_replaces_it() -> None:
    text = ("Gender distribution in percentages\n12/31/2023 Senior executives Management Group-wide\n\n"
            "Male\t69\t78\t59\nFemale\t31\t22\t41\n12/31/2022 Senior executives Management Group-wide\t\n"
            "Male\t71\t80\t57\nFemale\t29\t20\t43\n")
    chunks, _ = _split(text)
    rows = {c.text: c.context for c in chunks if c.kind == "table_row"}
    assert "12/31/2023" in rows["Female\t31\t22\t41"]
    assert "12/31/2022" in rows["Female\t29\t20\t43"]
    assert "12/31/2023" not in rows["Female\t29\t20\t43"]  # the caption named the first band's date only
    # the title above the band line stays with both bands' rows
    assert all(ctx.startswith("Gender distribution in percentages | ") for ctx in rows.values())


def test_a_breakdown_nests_under_its_group_and_a_wrapped_label_ends_its_row() -> None:
    text = ("Training and Development\n\n\t2022\t2021\nTraining Rate\t\t\nOverall Training Rate\t97.67%\t97.42%\n"
            "By Gender\t\t\nFemale\t98.96%\t97.68%\nBy Cohort Level\t\t\nSenior\t91.01%\t87.84%\n"
            "Average Number of Training Hours\t\t\nOverall Average Number\t35.57\t25.76\nof Training Hours\t\t\n"
            "By Gender\t\t\nFemale\t32.72\t25.39\nTurnover rate by region\t\t\nEurope\t5.6\t6.0\nby gender\t\t\n"
            "Men\t2,697\t3,575\n")
    chunks, _ = _split(text)
    rows = {c.text: c.context for c in chunks if c.kind == "table_row"}
    assert "Training Rate > By Gender |" in rows["Female\t98.96%\t97.68%"]
    assert "Training Rate > By Cohort Level |" in rows["Senior\t91.01%\t87.84%"]  # a sibling breakdown
    assert "Average Number of Training Hours > By Gender |" in rows["Female\t32.72\t25.39"]
    assert "Overall Average Number\t35.57\t25.76\nof Training Hours" in rows  # the label's second line joins its row
    assert "Turnover rate by region" not in rows["Men\t2,697\t3,575"]  # a breakdown does not nest in a breakdown


def test_a_row_that_is_part_of_the_row_above_is_read_under_its_label() -> None:
    text = ("Key figures\n\n\tUnit\t2021\t2022\t2023\nGHG emissions (Scope 1-3)\tt CO2e\t1,242,372\t1,868,153\t1,804,039\n"
            "of which holding company\tt CO2e\t770\t553\t805\nthereof Germany\tt CO2e\t500\t400\t300\n"
            "Energy consumption\tMWh\t10\t20\t30\nWater\t\t\t\nof which reused\tm3\t1\t2\t3\n")
    rows = _row_contexts(text)
    assert "GHG emissions (Scope 1-3)" in rows["of which holding company"]
    assert "GHG emissions (Scope 1-3)" in rows["thereof Germany"]  # a second part is a part of the same row
    assert "GHG emissions" not in rows["Energy consumption"]
    assert "Energy consumption" not in rows["of which reused"]  # a group label in between: its rows start afresh



@pytest.mark.skipif(SHARED_CORPUS is None, reason="the shared corpus is not here")
def test_a_label_end_printed_below_its_figures_stays_with_its_row(settings: Any, token_counter: Any) -> None:
    """Label/value pairs whose label wraps below its figures (Addiko's tables by bank: `Addiko Bank AG Vienna` /
    `123 51 72 0 0` / `(Austria)`): the parenthesis ends that pair's unit; it opened the next pair's label, so the
    Ljubljana bank's figures were quoted under "(Croatia)"."""
    manifest = json.loads((ROOT / "eval" / "corpus" / "reports.json").read_text(encoding="utf-8"))
    report = ReportInfo(**next(r for r in manifest["reports"] if r["id"] == "addiko-2023"))
    chunker = Chunker(token_counter.model, token_counter.cl100k, settings.chunk_max_tokens, settings.chunk_target_tokens)
    assert SHARED_CORPUS is not None
    _, units = chunker.split(report, load_document(SHARED_CORPUS / report.source))
    pairs = {collapse_ws(u.text) for u in units}
    assert "Addiko Bank AG Vienna 123 51 72 0 0 (Austria)" in pairs
    assert "Addiko Bank d.d. Zagreb 802 574 228 0 0 (Croatia)" in pairs
    assert "Addiko Bank d.d. Ljubljana 309 199 110 25 19 6 (Slovenia)" in pairs
    assert not any(p.startswith("(Croatia) Addiko Bank d.d. Ljubljana") for p in pairs)
    # a run that ends on a bank whose figures are on a tabbed line is still read labels first (not figures, then
    # the next bank's name)
    assert "Addiko Bank a.d. Banja Luka 364 284 80 1 1 0 (Bosnia & Herzegovina)" in pairs
    assert not any(re.fullmatch(r"[\d., ]+ \([^)]*\) Addiko Bank .*", p) for p in pairs)


def test_a_header_printed_on_two_lines_names_each_column_once() -> None:
    """A header whose first line names only the last columns (`2023 Acme Group`) and whose second line, under a
    label, names the years (`As of Dec. 31<TAB>2020<TAB>2021<TAB>2022<TAB>Group Acme AG`): the columns take both
    lines' parts, and the second line is a header, not a row to quote."""
    text = ("New hires\n\n\t\t\t\t2023 Acme\t2023 thereof\nAs of Dec. 31\t2020\t2021\t2022\tGroup Acme AG\t\n"
            "Total number of new hires\t6,669\t8,960\t10,682\t5,490\t220\nup to 29 years old\t2,889\t3,679\t4,314\t2,156\t170\n")
    chunks, _ = _split(text)
    rows = {c.text: c for c in chunks if c.kind == "table_row"}
    assert not any(t.startswith("As of Dec. 31") for t in rows)
    assert rows["Total number of new hires\t6,669\t8,960\t10,682\t5,490\t220"].header == [
        "2020", "2021", "2022", "2023 Acme Group Acme AG", "2023 thereof"]
    # a first line that names every column needs no second one: a dated line of years under it names the
    # columns again (the next table's header), never a row to quote
    chunks, _ = _split("\t2022\t2023\nAs of Dec. 31\t2022\t2023\nHires\t10\t12\n")
    rows = {c.text: c for c in chunks if c.kind == "table_row"}
    assert set(rows) == {"Hires\t10\t12"} and rows["Hires\t10\t12"].header == ["2022", "2023"]
    # a dated line whose last years carry names (`2023 Acme Group`, `2023 thereof Acme AG`) is a header too
    chunks, _ = _split("Hires\n\nAs of Dec. 31\t2022\t2023 Acme Group\t2023 thereof Acme AG\nHires\t10\t12\t3\n")
    rows = {c.text: c for c in chunks if c.kind == "table_row"}
    assert set(rows) == {"Hires\t10\t12\t3"}
    assert rows["Hires\t10\t12\t3"].header == ["2022", "2023 Acme Group", "2023 thereof Acme AG"]


def test_a_header_of_names_without_a_label_names_the_columns() -> None:
    """`<TAB>income (%)<TAB>exposure (%)` over rows of figures: the columns' names, not a row to quote; a line of
    flags (`<TAB>N/EL<TAB>EL`) is no header."""
    chunks, _ = _split("Split by industries\n\n\tincome (%)\texposure (%)\nCorporate loans\t35%\t49%\nF — Construction\t5%\t10%\n")
    rows = {c.text: c for c in chunks if c.kind == "table_row"}
    assert set(rows) == {"Corporate loans\t35%\t49%", "F — Construction\t5%\t10%"}
    assert rows["F — Construction\t5%\t10%"].header == ["income (%)", "exposure (%)"]
    chunks, _ = _split("Activities\n\n\tN/EL\tEL\nSale of goods\t5.4\t0.1\n")
    assert all(c.header is None for c in chunks if c.kind == "table_row")


def test_a_date_naming_the_label_column_dates_the_rows_until_the_next_date() -> None:
    """`12/31/2023<TAB>Senior executives<TAB>Management`, rows, then `12/31/2022 Senior executives Management` and
    the same rows again: each block's rows carry their own date, in the context a question's year is read from."""
    text = ("Gender distribution in percentages\n\n12/31/2023\tSenior executives\tManagement\nMale\t69\t78\n"
            "Female\t31\t22\n12/31/2022 Senior executives Management\t\nMale\t71\t80\nFemale\t29\t20\n")
    chunks, _ = _split(text)
    dates = {c.text: c.as_of for c in chunks if c.kind == "table_row" and not c.text.startswith("12/31")}
    assert dates == {"Male\t69\t78": "12/31/2023", "Female\t31\t22": "12/31/2023",
                     "Male\t71\t80": "12/31/2022", "Female\t29\t20": "12/31/2022"}
    assert all(c.as_of in c.context for c in chunks if c.kind == "table_row" and c.as_of)
