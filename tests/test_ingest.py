"""Reading reports: PDFs keep their page numbers; the 2020 text gets pages only from surviving footers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qa.chunking.chunker import Chunker
from qa.errors import IngestError
from qa.ingest import footer_pages, load_document
from qa.models import ReportInfo

REPO = Path(__file__).resolve().parent.parent
PAGES = [
    ["Report overview page one", "Xiaomi reduced energy use in all offices."],
    ["Emissions page two", "Total GHG Emissions were 31,347.06 t in 2020."],
    ["Water page three", "Fresh water consumption was 187,339.02 metric tons."],
]


def test_pdf_pages_are_kept(tmp_path: Path, make_pdf: Callable[[Path, list[list[str]]], Path]) -> None:
    doc = load_document(make_pdf(tmp_path / "three.pdf", PAGES))
    assert [p.page for p in doc.pages] == [1, 2, 3]
    for number, lines in enumerate(PAGES, start=1):
        for line in lines:
            at = doc.text.index(line)
            assert doc.page_at(at) == number, line
            assert doc.page_at(at + len(line) - 1) == number, line
            assert doc.page_of_span(at, at + len(line)) == number
    assert doc.page_at(len(doc.text) + 10) is None
    # the page joins are not on any page
    first_end = doc.pages[0].end
    assert doc.page_at(first_end) is None


def test_pdf_chunks_carry_their_page(tmp_path: Path, make_pdf: Callable[[Path, list[list[str]]], Path]) -> None:
    pdf = make_pdf(tmp_path / "three.pdf", PAGES)
    doc = load_document(pdf)
    report = ReportInfo(id="pdf", company="X", title="PDF", year=2020, years_covered=[2020], source="three.pdf",
                        original_name="three.pdf", sha256="0" * 64)
    chunks, _ = Chunker(lambda t: len(t.split())).split(report, doc)
    found = {}
    for c in chunks:
        assert doc.page_at(c.start) == doc.page_at(c.end - 1), f"chunk {c.id} spans two pages"
        for number, lines in enumerate(PAGES, start=1):
            if lines[1][:20] in c.text:
                found[number] = c.page
    assert found == {1: 1, 2: 2, 3: 3}


@pytest.fixture(scope="module")
def doc2020():  # type: ignore[no-untyped-def]
    return load_document(REPO / "seeds" / "xiaomi-esg-2020.txt")


def test_2020_footers_give_pages_around_them(doc2020) -> None:  # type: ignore[no-untyped-def]
    text = doc2020.text
    f125 = text.index("1252020 ANNUAL REPORT")
    before = text.index("Smart factory achieved automation level of approximately 63%")
    after = text.index("SDGs Xiaomi", f125)
    assert before < f125 < after
    assert doc2020.page_at(before) == 125
    assert doc2020.page_at(f125) == 125
    assert doc2020.page_at(after) == 126
    f165 = text.index("1652020 ANNUAL REPORT")
    before = text.index("cumulative Mi Community users reached 120 million")
    after = text.index("The Mi Community posts over 20,000 times per day", f165)
    assert before < f165 < after
    assert doc2020.page_at(before) == 165
    assert doc2020.page_at(after) == 166


def test_2020_pages_are_never_guessed_far_from_footers(doc2020) -> None:  # type: ignore[no-untyped-def]
    text = doc2020.text
    assert {p.page for p in doc2020.pages} == {125, 126, 165, 166}
    for phrase in ("Obtained ISO14001 Environmental Management System", "Total GHG Emissions3", "102-55 GRI content index"):
        assert doc2020.page_at(text.index(phrase)) is None, phrase
    assert doc2020.page_at(0) is None
    assert doc2020.page_at(len(text) - 1) is None
    known = sum(p.end - p.start for p in doc2020.pages)
    assert known < len(text) * 0.1  # only the neighbourhood of the two footers


def test_2022_text_has_no_pages() -> None:
    doc = load_document(REPO / "seeds" / "xiaomi-esg-2022.txt")
    assert doc.pages == []
    assert doc.page_at(1000) is None


def test_footer_pages_on_a_literal_text() -> None:
    text = (
        "Intro far away.\n" + "filler line of body text\n" * 600
        + " Block start of page 7\nbody on page seven\n72020 ANNUAL REPORT\nbody on page eight\n"
        + " Next block start\nunknown page body\n"
    )
    spans = footer_pages(text)
    assert [(s.page) for s in spans] == [7, 8]
    from qa.ingest import Document

    doc = Document(path=Path("t.txt"), text=text, pages=spans)
    assert doc.page_at(text.index("body on page seven")) == 7
    assert doc.page_at(text.index("Block start of page 7")) == 7
    assert doc.page_at(text.index("body on page eight")) == 8
    assert doc.page_at(text.index("unknown page body")) is None
    assert doc.page_at(text.index("Intro far away")) is None
    assert footer_pages("no footers here\n") == []


def test_text_is_normalised_to_lf(tmp_path: Path) -> None:
    p = tmp_path / "crlf.txt"
    p.write_bytes(b"line one\r\nline two\rline three\n")
    assert load_document(p).text == "line one\nline two\nline three\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bin.txt", b"\x00\x00\x00", "binary"),
        ("latin.txt", b"caf\xe9", "not UTF-8"),
        ("empty.txt", b"", "empty"),
        ("spaces.md", b" \n \t\n", "empty"),
        ("bad.pdf", b"%PDF-1.7 garbage", "cannot read the PDF"),
        ("data.csv", b"a,b\n1,2\n", "unsupported file type"),
    ],
)
def test_unreadable_files_raise_ingest_error(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(IngestError, match=message):
        load_document(p)


def test_missing_file_raises_ingest_error(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="cannot read"):
        load_document(tmp_path / "gone.txt")
