"""Request and response bodies of the HTTP API (the answer itself is `qa.models.Answer`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from qa.inputs import clean_text
from qa.models import ChunkKind, Citation, SearchMode, Turn

Year = Annotated[int, Field(ge=1900, le=2200)]
ReportId = Annotated[str, Field(min_length=1, max_length=200)]
CompanyName = Annotated[str, Field(min_length=1, max_length=200)]


def _clean(value: str) -> str:
    """The input policy's cleaning (qa.inputs): surrogates, NUL and controls out, ends stripped."""
    return clean_text(value)


class ApiFilters(BaseModel):
    """Restrict answers to some reports, companies (names or aliases, any case) or report years."""

    model_config = ConfigDict(extra="forbid")

    report_ids: list[ReportId] | None = Field(default=None, max_length=50)
    companies: list[CompanyName] | None = Field(default=None, max_length=50)
    years: list[Year] | None = Field(default=None, max_length=50)


class AskRequest(BaseModel):
    question: str = Field(
        description="The question (1 to 1,000 characters after trimming; longer gives 413).",
        examples=["What were total GHG emissions in 2020?"],
    )
    history: list[Turn] = Field(
        default_factory=list,
        description="Earlier turns, oldest first: at most 20 turns (ESGQA_HISTORY_MAX_TURNS), each field at most "
        "the question limit, 8,000 characters in all (ESGQA_HISTORY_MAX_CHARS); more gives 413.",
    )
    filters: ApiFilters | None = None
    top_k: int | None = Field(default=None, ge=1, le=20, description="Quotes to return (1..20).")
    mode: SearchMode = "hybrid"

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        value = _clean(value)
        if not value:
            raise ValueError("the question is empty")
        return value


class SearchRequest(BaseModel):
    query: str = Field(description="Search text (1 to 1,000 characters after trimming; longer gives 413).")
    k: int = Field(default=10, ge=1, le=50)
    mode: SearchMode = "hybrid"
    filters: ApiFilters | None = None

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        value = _clean(value)
        if not value:
            raise ValueError("the query is empty")
        return value


class SearchHit(BaseModel):
    rank: int
    score: float
    text: str = Field(description="Verbatim span of the report.")
    kind: ChunkKind
    citation: Citation
    context: str | None = Field(default=None, description="Table title/header shown with a row; not verbatim.")


class SearchResponse(BaseModel):
    query: str
    hits: list[SearchHit]


class ReportOut(BaseModel):
    id: str
    company: str
    aliases: list[str] = Field(default_factory=list)
    title: str
    year: int
    years_covered: list[int]
    source: str
    chunk_count: int | None = None


class FeedbackRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000)
    answer_id: str = Field(min_length=1, max_length=128)
    helpful: StrictBool
    comment: str | None = Field(default=None, max_length=2000)
    source: Literal["api", "widget"] = "api"

    @field_validator("question", "answer_id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # pydantic's own type error
        value = _clean(value)
        if not value:
            raise ValueError("is empty (after removing whitespace and control characters)")
        return value

    @field_validator("comment", mode="before")
    @classmethod
    def _comment(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return _clean(value) or None


class Accepted(BaseModel):
    status: Literal["recorded"] = "recorded"


class ReloadResponse(BaseModel):
    status: Literal["reloaded"] = "reloaded"
    build_id: str
    previous_build_id: str | None
    seconds: float


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    build_id: str
    loaded_at: float | None = None
    last_reload_error: str | None = None


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
