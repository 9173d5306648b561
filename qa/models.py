"""Typed records passed between stages, and the public answer contract.

`Answer` (with `Quote` and `Citation`) is the stable JSON contract of `/v1/ask`,
`esgqa ask --json` and one line of eval predictions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ChunkKind = Literal["text", "table_row", "list_item", "kpi", "index", "navigation"]
SearchMode = Literal["hybrid", "dense", "bm25"]


class ReportInfo(BaseModel):
    """One source report, as recorded in the seeds manifest."""

    model_config = ConfigDict(frozen=True)

    id: str
    company: str
    aliases: list[str] = Field(default_factory=list)  # other names of the company; derived when absent
    title: str
    year: int
    years_covered: list[int]
    source: str  # path relative to the repository root, e.g. seeds/xiaomi-esg-2020.txt
    original_name: str
    sha256: str

    @model_validator(mode="before")
    @classmethod
    def _derive_aliases(cls, data: Any) -> Any:
        """A manifest entry without `aliases` gets the company's short name ("Manz AG" -> "Manz")."""
        if isinstance(data, dict) and data.get("aliases") is None and isinstance(data.get("company"), str):
            from qa.companies import derive_aliases

            data = {**data, "aliases": derive_aliases(data["company"])}
        return data


class Chunk(BaseModel):
    """A retrievable passage: a verbatim span of one report plus where it came from.

    `text` is the verbatim span (whitespace-collapsed `source_text[start:end]` equals
    whitespace-collapsed `text`). `context` holds what is *not* in the span but is needed to
    understand it (a table's title and header row); it is embedded and shown, never quoted.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    report_id: str
    source: str
    start: int
    end: int
    section: str
    page: int | None
    kind: ChunkKind
    text: str
    page_label: str | None = None  # the printed page label, where the PDF defines page labels
    context: str = ""
    table_title: str | None = None
    header: list[str] | None = None  # column labels of the table, e.g. ["2022", "2021", "2020"]
    as_of: str | None = None  # the date a table's rows are as of, from its band header (`12/31/2023`)
    tokens: int = 0  # embedding-model word pieces
    tokens_cl100k: int = 0


class Unit(BaseModel):
    """A quotable unit inside a chunk (sentence, list item, table row, label/value pair)."""

    model_config = ConfigDict(frozen=True)

    chunk_index: int
    start: int  # absolute offsets into the source text
    end: int
    text: str
    kind: ChunkKind = "text"


class Hit(BaseModel):
    """A retrieved chunk with its score and rank components."""

    model_config = ConfigDict(frozen=True)

    chunk: Chunk
    score: float
    dense: float | None = None
    bm25: float | None = None
    rank: int = 0


class Filters(BaseModel):
    """Restricts which chunks may be retrieved."""

    model_config = ConfigDict(extra="forbid")

    report_ids: list[str] | None = None
    companies: list[str] | None = None  # company names or aliases, any case
    years: list[int] | None = None
    section_prefix: str | None = None
    include_noise: bool = False


class Citation(BaseModel):
    report_id: str
    company: str = ""
    title: str
    year: int
    section: str
    page: int | None
    source: str
    start: int
    end: int
    page_label: str | None = None  # the printed page label, where the PDF defines page labels


class Quote(BaseModel):
    text: str
    highlight: list[int] | None = None  # [start, end) of `answer` inside `text` (quotes[0] only)
    score: float
    kind: ChunkKind = "text"
    context: str | None = None  # e.g. the table header of a table row; not part of the verbatim span
    citation: Citation


class Turn(BaseModel):
    """One earlier turn of a conversation."""

    question: str
    answer: str | None = None
    resolved_question: str | None = None


class Answer(BaseModel):
    question: str
    resolved_question: str | None = None
    answered: bool
    answer: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    quotes: list[Quote]
    notes: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    answer_id: str | None = None
