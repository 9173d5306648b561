"""One line of a PDF's output text, before it is assembled."""

from __future__ import annotations

from dataclasses import dataclass

from qa.ingest.layout import Line


@dataclass
class Item:
    """One line of the output text."""

    text: str
    page: int
    bbox: tuple[float, float, float, float]
    kind: str  # text | table | header | footer | contents
    blank_before: bool = False
    line: Line | None = None  # the source line of a text item
    level: int | None = None  # set when the line is a heading
    heading_group: int = -1  # lines of one multi-line heading share it
    from_outline: bool = False  # the heading is an entry of the PDF's outline
