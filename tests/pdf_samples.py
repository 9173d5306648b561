"""Small PDFs the ingest tests draw themselves (reportlab), laid out like published reports.

A4 portrait, 595 x 842 pt. Every page has a running footer ("Sustainability Report 2023 | n") and a
running header ("ACME Group") unless told otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

WIDTH, HEIGHT = A4
BODY = 10.0
LEFT = 60.0

LEFT_COLUMN = [
    "The left column opens the chapter on",
    "energy. We reduced our electricity use in",
    "all offices and switched the main plant",
    "to renewable power during the year.",
]
RIGHT_COLUMN = [
    "The right column continues with water.",
    "Fresh water use fell again because the",
    "cooling circuits were closed and washing",
    "lines now reuse their rinse water.",
]


def _frame(c: canvas.Canvas, page_no: int, running: bool = True) -> None:
    if running:
        c.setFont("Helvetica", 8)
        c.drawString(LEFT, HEIGHT - 30, "ACME Group")
        c.drawString(LEFT, 30, f"Sustainability Report 2023 | {page_no}")


def _heading(c: canvas.Canvas, text: str, size: float, key: str, level: int, outline: bool) -> None:
    """A bold heading at the top of the page, and its outline (bookmark) entry when `outline`."""
    c.setFont("Helvetica-Bold", size)
    c.drawString(LEFT, 760, text)
    if outline:
        c.bookmarkPage(key)
        c.addOutlineEntry(text, key, level=level)


def _para(c: canvas.Canvas, x: float, y: float, lines: list[str], size: float = BODY, font: str = "Helvetica") -> float:
    c.setFont(font, size)
    for line in lines:
        c.drawString(x, y, line)
        y -= size * 1.4
    return y


def _right(c: canvas.Canvas, x: float, y: float, text: str, size: float = BODY, font: str = "Helvetica") -> None:
    c.setFont(font, size)
    c.drawRightString(x, y, text)


def report_pdf(path: Path, *, outline: bool = True) -> Path:
    """Four pages: a chapter with a two-column page, a KPI table, more prose, a GRI index.

    The outline (when `outline`) names "Environment" with the child "Energy and emissions", and
    "GRI content index"; without it the same headings are only printed large and bold.
    """
    c = canvas.Canvas(str(path), pagesize=A4)
    # page 1: chapter heading, two columns
    _frame(c, 1)
    _heading(c, "Environment", 20, "env", 0, outline)
    _para(c, LEFT, 700, LEFT_COLUMN)
    _para(c, 320, 700, RIGHT_COLUMN)
    _para(c, LEFT, 640, ["Both columns end here and the page carries on below them in one column."])
    c.showPage()
    # page 2: section heading, KPI table
    _frame(c, 2)
    _heading(c, "Energy and emissions", 14, "energy", 1, outline)
    _para(c, LEFT, 730, ["Our emissions fell in every scope, as the key figures below show."])
    cols = [400.0, 460.0, 520.0]
    y = 690.0
    for x, year in zip(cols, ["2023", "2022", "2021"], strict=True):
        _right(c, x, y, year, font="Helvetica-Bold")
    rows: list[tuple[list[str], list[str]]] = [
        (["Scope 1 emissions (t CO2e)"], ["1,234", "1.150", "998"]),
        (["Scope 2 emissions, market-based,", "in tonnes of CO2 equivalents"], ["4.660", "5.012", "5,387"]),
        (["Share of renewable electricity (%)"], ["81,5", "", "64,2"]),
        (["Waste recycled (%)"], ["1,52", "1,48", "1,31"]),
    ]
    y -= 22
    for label, values in rows:
        c.setFont("Helvetica", BODY)
        c.drawString(LEFT, y, label[0])
        for x, v in zip(cols, values, strict=True):
            if v:
                _right(c, x, y, v)
        for extra in label[1:]:
            y -= BODY * 1.2
            c.setFont("Helvetica", BODY)
            c.drawString(LEFT, y, extra)
        y -= 20
    # a footnote mark after the last label, and its footnote
    c.setFont("Helvetica", BODY)
    c.drawString(LEFT, y, "Water withdrawal (m3)")
    c.setFont("Helvetica", 6)
    c.drawString(LEFT + c.stringWidth("Water withdrawal (m3)", "Helvetica", BODY) + 0.5, y + 4, "1")
    for x, v in zip(cols, ["12.345", "13.001", "14.220"], strict=True):
        _right(c, x, y, v)
    c.setFont("Helvetica", 7)
    c.drawString(LEFT, y - 40, "1 Withdrawal from public supply and wells.")
    c.showPage()
    # page 3: prose under the same section, and a table whose years each span two columns
    _frame(c, 3)
    _para(c, LEFT, 760, [
        "We plan to cut energy use by a further ten percent until 2026. The plan covers all",
        "production sites and the vehicle fleet, and it is reviewed by the board every year.",
    ])
    sub = [(380.0, "number"), (430.0, "in %"), (490.0, "number"), (540.0, "in %")]
    for x, year in ((395.0, "2023"), (505.0, "2022")):  # centred over its two columns
        c.setFont("Helvetica-Bold", BODY)
        c.drawCentredString(x, 690, year)
    for x, name in sub:
        _right(c, x, 676, name)
    c.setFont("Helvetica", BODY)
    c.drawString(LEFT, 676, "Employees")
    for label, values in (("Women in management", ["120", "28.2", "110", "26.5"]),
                          ("Women in the workforce", ["1,870", "41.0", "1,790", "40.2"])):
        y = 662 if label.endswith("management") else 648
        c.drawString(LEFT, y, label)
        for (x, _n), v in zip(sub, values, strict=True):
            _right(c, x, y, v)
    c.showPage()
    # page 4: the disclosure index
    _frame(c, 4)
    _heading(c, "GRI content index", 20, "gri", 0, outline)
    _para(c, LEFT, 720, [
        "GRI 302-1 Energy consumption within the organization, page 2",
        "GRI 305-1 Direct (Scope 1) GHG emissions, page 2",
        "GRI 305-2 Energy indirect (Scope 2) GHG emissions, page 2",
    ])
    c.showPage()
    c.save()
    return path


def textless_pdf(path: Path) -> Path:
    c = canvas.Canvas(str(path), pagesize=A4)
    c.rect(100, 100, 300, 400, fill=1)
    c.showPage()
    c.save()
    return path


def encrypt(src: Path, dst: Path, user_password: str, **kwargs: Any) -> Path:
    """An AES-256 encrypted copy (the owner password differs, as in published reports)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(src)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-256", **kwargs)
    with dst.open("wb") as fh:
        writer.write(fh)
    return dst


def with_page_labels(src: Path, dst: Path) -> Path:
    """A copy whose first page is labelled "i" and the others "1", "2", … (printed page numbers)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.constants import PageLabelStyle

    writer = PdfWriter(clone_from=PdfReader(str(src)))
    n = len(writer.pages)
    writer.set_page_label(0, 0, style=PageLabelStyle.LOWERCASE_ROMAN, start=1)
    writer.set_page_label(1, n - 1, style=PageLabelStyle.DECIMAL, start=1)
    with dst.open("wb") as fh:
        writer.write(fh)
    return dst


def _line(c: canvas.Canvas, y: float, label: str, xs: list[float], cells: list[str]) -> None:
    """A table line: its label at the left margin, each cell right-aligned at its column's x."""
    c.drawString(LEFT, y, label)
    for x, text in zip(xs, cells, strict=True):
        _right(c, x, y, text)


def header_shapes_pdf(path: Path) -> Path:
    """One page, three tables whose headers name their columns in ways a year line alone does not:

    - group names (`Male  Female  Total`) printed once over each pair of year columns under a dated label
      (`12/31  2023  2022  2023  2022  2023  2022`), each name right-aligned over the second of its pair;
    - column names without a year (`Worldwide  North America  Europe`, `North` printed over `America`), a
      year printed in the label column between them and the rows;
    - a dated year header (`As of Dec. 31  2022  2023`) printed under the rows of the table above it;
    - two names side by side in a header line, each right-aligned over its own column but close enough to read as
      one phrase (`Group Parent AG` over `2023 Acme` | `2023 thereof`).
    """
    c = canvas.Canvas(str(path), pagesize=A4)
    _frame(c, 1)
    _heading(c, "People", 16, "people", 0, True)
    c.setFont("Helvetica", BODY)
    pairs = [300.0, 340.0, 390.0, 430.0, 480.0, 520.0]
    for x, name in ((340.0, "Male"), (430.0, "Female"), (520.0, "Total")):
        _right(c, x, 712, name)
    _line(c, 700, "12/31", pairs, ["2023", "2022"] * 3)
    _line(c, 686, "Employees taking parental leave", pairs, ["7", "19", "33", "32", "40", "51"])
    _line(c, 672, "Employees returning from parental leave", pairs, ["7", "17", "32", "13", "39", "30"])
    c.setFont("Helvetica-Bold", 12)
    c.drawString(LEFT, 640, "Employee age by region")
    c.setFont("Helvetica", BODY)
    regions = [330.0, 420.0, 510.0]
    _right(c, 420.0, 622, "North")
    _line(c, 610, "Number of employees", regions, ["Worldwide", "America", "Europe"])
    c.drawString(LEFT, 588, "2023")
    _line(c, 566, "Up to 29 years old", regions, ["9,926", "2,753", "3,530"])
    _line(c, 548, "Average age", regions, ["41.5", "43.5", "42.9"])
    years = [420.0, 510.0]
    _line(c, 522, "As of Dec. 31", years, ["2022", "2023"])
    _line(c, 504, "Total employees", years, ["64,243", "62,908"])
    _line(c, 486, "Part-time employees", years, ["4,116", "3,834"])
    c.setFont("Helvetica-Bold", 12)
    c.drawString(LEFT, 450, "New hires")
    c.setFont("Helvetica", BODY)
    group, parent = 440.0, 440.0 + c.stringWidth("Parent AG", "Helvetica", BODY) + 6.0  # 6 pt apart: one phrase
    for x, top, middle in ((group, "2023", "Acme"), (parent, "2023", "thereof")):
        _right(c, x, 432, top)
        _right(c, x, 420, middle)
    columns = [300.0, 370.0, group, parent]
    _line(c, 408, "As of Dec. 31", columns, ["2021", "2022", "Group", "Parent AG"])
    _line(c, 390, "New employee hires", columns, ["8,960", "10,682", "5,490", "220"])
    c.showPage()
    c.save()
    return path
