"""PDF ingest on PDFs the tests draw: reading order, tables with their columns, running headers and
footers, headings from the outline or the fonts, encrypted and broken files, page labels, the verbatim
contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_samples import (
    LEFT_COLUMN,
    RIGHT_COLUMN,
    encrypt,
    header_shapes_pdf,
    report_pdf,
    textless_pdf,
    with_page_labels,
)

from qa.chunking.chunker import Chunker
from qa.compose.extract import row_cells
from qa.errors import IngestError
from qa.ingest import Document, load_document, read_source_text
from qa.models import Chunk, ReportInfo, Unit

REPORT = ReportInfo(id="acme-2023", company="ACME", title="ACME Report 2023", year=2023, years_covered=[2021, 2022, 2023],
                    source="acme.pdf", original_name="acme.pdf", sha256="0" * 64)


def _chunks(doc: Document) -> tuple[list[Chunk], list[Unit]]:
    return Chunker(lambda t: len(t.split())).split(REPORT, doc)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report_pdf(tmp_path_factory.mktemp("pdf") / "acme.pdf")


@pytest.fixture(scope="module")
def doc(sample: Path) -> Document:
    return load_document(sample)


@pytest.fixture(scope="module")
def split(doc: Document) -> tuple[list[Chunk], list[Unit]]:
    return _chunks(doc)


def _row(units: list[Unit], chunks: list[Chunk], label: str) -> tuple[Unit, Chunk]:
    found = [(u, chunks[u.chunk_index]) for u in units if u.kind == "table_row" and u.text.startswith(label)]
    assert len(found) == 1, (label, [u.text for u in units if u.kind == "table_row"])
    return found[0]


def _cell(unit: Unit, chunk: Chunk, year: str) -> str | None:
    return next((c.span.text for c in row_cells(unit.text, chunk.header) if c.column == year), None)


def test_two_columns_are_read_one_after_the_other(doc: Document, split: tuple[list[Chunk], list[Unit]]) -> None:
    text = doc.text
    left = [text.index(line) for line in LEFT_COLUMN]
    right = [text.index(line) for line in RIGHT_COLUMN]
    assert left == sorted(left) and right == sorted(right)
    assert left[-1] < right[0], "the right column must follow the whole left column"
    assert text.index("Both columns end here") > right[-1]
    _chunks, units = split
    sentence = next(u for u in units if u.text.startswith("We reduced"))
    assert " ".join(sentence.text.split()).endswith("to renewable power during the year.")  # not interleaved
    for u in units:
        assert not ("left column" in u.text and "right column" in u.text), u.text


def test_kpi_table_rows_have_their_year_columns(split: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = split
    unit, chunk = _row(units, chunks, "Scope 1 emissions")
    assert chunk.kind == "table_row"
    assert chunk.header == ["2023", "2022", "2021"]
    assert chunk.page == 2
    assert chunk.section == "Environment > Energy and emissions"
    assert [_cell(unit, chunk, y) for y in ("2023", "2022", "2021")] == ["1,234", "1.150", "998"]


def test_wrapped_label_joins_its_row_and_cells_are_kept_as_printed(split: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = split
    unit, chunk = _row(units, chunks, "Scope 2 emissions, market-based, in tonnes of CO2 equivalents")
    assert [_cell(unit, chunk, y) for y in ("2023", "2022", "2021")] == ["4.660", "5.012", "5,387"]
    unit, chunk = _row(units, chunks, "Waste recycled (%)")
    assert _cell(unit, chunk, "2022") == "1,48"  # a decimal comma, as printed


def test_an_empty_cell_keeps_the_columns_aligned(split: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = split
    unit, chunk = _row(units, chunks, "Share of renewable electricity")
    assert _cell(unit, chunk, "2023") == "81,5"
    assert _cell(unit, chunk, "2022") is None
    assert _cell(unit, chunk, "2021") == "64,2"


def test_a_footnote_mark_stays_out_of_the_figures(split: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = split
    unit, chunk = _row(units, chunks, "Water withdrawal (m3)¹")
    assert [_cell(unit, chunk, y) for y in ("2023", "2022", "2021")] == ["12.345", "13.001", "14.220"]


def test_a_year_printed_over_two_columns_names_both(split: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = split
    unit, chunk = _row(units, chunks, "Women in management")
    assert chunk.header == ["2023 number", "2023 in %", "2022 number", "2022 in %"]
    cells = {c.column: c.span.text for c in row_cells(unit.text, chunk.header)}
    assert cells["2022 in %"] == "26.5" and cells["2023 number"] == "120"
    assert chunk.page == 3


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Chunk], list[Unit]]:
    return _chunks(load_document(header_shapes_pdf(tmp_path_factory.mktemp("pdf") / "shapes.pdf")))


def test_group_names_over_pairs_of_year_columns_name_both(shapes: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = shapes
    unit, chunk = _row(units, chunks, "Employees taking parental leave")
    assert chunk.header == ["Male 2023", "Male 2022", "Female 2023", "Female 2022", "Total 2023", "Total 2022"]
    cells = {c.column: c.span.text for c in row_cells(unit.text, chunk.header)}
    assert cells["Female 2023"] == "33" and cells["Total 2022"] == "51"


def test_column_names_without_a_year_name_the_columns(shapes: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = shapes
    unit, chunk = _row(units, chunks, "Average age")
    assert chunk.header == ["Worldwide", "North America", "Europe"]
    cells = {c.column: c.span.text for c in row_cells(unit.text, chunk.header)}
    assert cells["North America"] == "43.5"
    assert chunk.as_of == "2023"  # the year printed between the names and the rows dates them


def test_a_dated_header_under_a_table_starts_the_next_one(shapes: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = shapes
    unit, chunk = _row(units, chunks, "Part-time employees")
    assert [h for h in chunk.header or [] if h] == ["2022", "2023"]
    assert (_cell(unit, chunk, "2022"), _cell(unit, chunk, "2023")) == ("4,116", "3,834")
    assert not any(u.text.startswith("As of Dec. 31") for u in units if u.kind == "table_row")


def test_two_names_read_as_one_phrase_name_their_own_columns(shapes: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = shapes
    unit, chunk = _row(units, chunks, "New employee hires")
    # `Group Parent AG` is one phrase of the dated line; each name is right-aligned over its own column
    assert [h for h in chunk.header or [] if h][-2:] == ["2023 Acme Group", "2023 thereof Parent AG"]
    assert _cell(unit, chunk, "2023 thereof Parent AG") == "220"


def test_running_header_and_footer_are_noise(doc: Document, split: tuple[list[Chunk], list[Unit]]) -> None:
    kinds = {doc.text[n.start:n.end]: n.kind for n in doc.noise if n.kind in ("header", "footer")}
    assert kinds["ACME Group"] == "header"
    assert kinds["Sustainability Report 2023 | 3"] == "footer"
    chunks, _ = split
    for c in chunks:
        if "ACME Group" in c.text or "Sustainability Report 2023 |" in c.text:
            assert c.kind == "navigation", c
        assert "ACME Group" not in c.section and "Sustainability Report" not in c.section
    assert all("ACME" not in h.title for h in doc.headings)


def test_sections_come_from_the_outline(doc: Document, split: tuple[list[Chunk], list[Unit]]) -> None:
    assert [(h.level, h.title) for h in doc.headings] == [
        (0, "Environment"), (1, "Energy and emissions"), (0, "GRI content index")]
    chunks, _ = split
    by_text = {c.text.split("\n")[0][:30]: c for c in chunks}
    assert by_text["The left column opens the chap"].section == "Environment"
    prose = next(c for c in chunks if "We plan to cut energy use" in c.text)
    assert prose.section == "Environment > Energy and emissions"
    assert prose.page == 3


def test_sections_from_font_size_and_weight_without_an_outline(tmp_path: Path) -> None:
    doc = load_document(report_pdf(tmp_path / "plain.pdf", outline=False))
    assert [h.title for h in doc.headings] == ["Environment", "Energy and emissions", "GRI content index"]
    chunks, units = _chunks(doc)
    _unit, chunk = _row(units, chunks, "Scope 1 emissions")
    assert chunk.section == "Environment > Energy and emissions"


def test_the_content_index_is_index_noise(split: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, _ = split
    gri = [c for c in chunks if "GRI 305-1" in c.text]
    assert gri and all(c.kind == "index" for c in gri)
    assert all(c.kind != "index" for c in chunks if "Scope 1 emissions" in c.text)


def test_every_chunk_is_verbatim_and_on_its_real_page(doc: Document, split: tuple[list[Chunk], list[Unit]]) -> None:
    chunks, units = split
    pages = {"Environment": 1, "Our emissions fell": 2, "We plan to cut": 3, "GRI 302-1": 4}
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert c.page is not None and doc.page_at(c.end - 1) == c.page, "a chunk never crosses a page"
        for phrase, page in pages.items():
            if c.text.startswith(phrase):
                assert c.page == page, phrase
    for u in units:
        assert doc.text[u.start:u.end] == u.text
    assert read_source_text(doc.path) == doc.text  # deterministic: the same bytes every time


def test_line_boxes_locate_every_line(doc: Document) -> None:
    assert doc.lines
    for box in doc.lines:
        line = doc.text[box.start:box.end]
        assert line.strip(), box
        assert doc.page_at(box.start) == box.page_index + 1
        x0, top, x1, bottom = box.bbox
        assert 0 <= x0 < x1 <= 595 and 0 <= top < bottom <= 842
    first = next(b for b in doc.lines if doc.text[b.start:b.end] == "Environment")
    assert first.page_index == 0 and first.bbox[1] < 100  # near the top of page 1


def test_page_labels_are_kept(sample: Path, tmp_path: Path) -> None:
    doc = load_document(with_page_labels(sample, tmp_path / "labelled.pdf"))
    chunks, _ = _chunks(doc)
    env = next(c for c in chunks if c.text.startswith("The left column"))
    assert (env.page, env.page_label) == (1, "i")
    prose = next(c for c in chunks if "We plan to cut" in c.text)
    assert (prose.page, prose.page_label) == (3, "2")
    plain = _chunks(load_document(sample))[0]
    assert all(c.page_label is None for c in plain)


def test_encrypted_with_an_empty_user_password_opens(sample: Path, doc: Document, tmp_path: Path) -> None:
    enc = encrypt(sample, tmp_path / "aes.pdf", user_password="")
    assert b"/Encrypt" in enc.read_bytes()
    assert load_document(enc).text == doc.text


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("password", "protected by a password"),
        ("textless", "no text layer"),
        ("truncated", "damaged or incomplete"),
        ("html", "web page"),
        ("empty", "is empty"),
    ],
)
def test_unreadable_pdfs_fail_with_one_line(sample: Path, tmp_path: Path, make: str, message: str) -> None:
    path = tmp_path / f"{make}.pdf"
    if make == "password":
        encrypt(sample, path, user_password="secret")
    elif make == "textless":
        textless_pdf(path)
    elif make == "truncated":
        data = sample.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif make == "html":
        path.write_text("<!DOCTYPE html><html><body>404 Not Found</body></html>")
    else:
        path.write_bytes(b"")
    with pytest.raises(IngestError, match=message) as info:
        load_document(path)
    text = str(info.value)
    assert "\n" not in text and path.name in text


def test_a_pdf_report_is_indexed_and_answered_from_its_table(sample: Path, tmp_path: Path) -> None:
    """add-report, index (real FAISS and BM25, hashing embedder), ask: the cell under the asked year."""
    from qa.config import Settings
    from qa.embedding import HashingEmbedder
    from qa.reports import ReportRegistry
    from qa.service import QAService
    from qa.store import IndexBuilder

    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "reports.json").write_text('{"version": 1, "reports": []}\n')
    s = Settings(root=tmp_path, seeds_dir=tmp_path / "seeds", index_dir=tmp_path / "index")
    ReportRegistry(s.manifest_path, s.root).load().add(
        sample, report_id="acme-2023", title="ACME Report 2023", year=2023, company="ACME", years_covered=[2021, 2022, 2023])
    reg = ReportRegistry(s.manifest_path, s.root).load()
    emb = HashingEmbedder()
    IndexBuilder(s, emb, Chunker(lambda t: len(t.split()), max_tokens=240, target_tokens=60)).build(reg)
    svc = QAService.load(s, embedder=emb)
    source = read_source_text(s.root / reg.get("acme-2023").source)
    for question, answer in [("What were Scope 1 emissions in 2022?", "1.150"),
                             ("What share of electricity was renewable in 2021?", "64,2")]:
        a = svc.ask(question)
        assert a.answered and a.answer == answer, (question, a)
        c = a.quotes[0].citation
        assert (c.page, c.section) == (2, "Environment > Energy and emissions")
        assert " ".join(source[c.start:c.end].split()) == " ".join(a.quotes[0].text.split())
