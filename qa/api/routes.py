"""The `/v1` routes and the probes. Thin: parse, call the service off the event loop, shape the reply."""

from __future__ import annotations

import inspect
import logging
import uuid
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from qa.budget import Deadline
from qa.companies import CompanyDirectory
from qa.errors import UnknownReport
from qa.feedback import FeedbackEntry, FeedbackRefused
from qa.inputs import check_history, check_length
from qa.models import Answer, Citation, Filters, Hit, ReportInfo

from .errors import APIError, error_response
from .holder import ReloadFailed, ReloadInProgress, ServiceLike
from .logs import truncate
from .runtime import AppRuntime, runtime
from .schemas import (
    Accepted,
    ApiFilters,
    AskRequest,
    ErrorBody,
    FeedbackRequest,
    Health,
    Ready,
    ReloadResponse,
    ReportOut,
    SearchHit,
    SearchRequest,
    SearchResponse,
)

logger = logging.getLogger(__name__)

Runtime = Annotated[AppRuntime, Depends(runtime)]

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


v1 = APIRouter(prefix="/v1", tags=["v1"])
probes = APIRouter(tags=["probes"])


def _json(model: Any, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


def _filters(api: ApiFilters | None, service: ServiceLike) -> Filters | None:
    if api is None or (not api.report_ids and not api.years and not api.companies):
        return None
    if api.report_ids:
        known = sorted(r.id for r in service.reports())
        unknown = sorted(set(api.report_ids) - set(known))
        if unknown:
            raise UnknownReport(f"Unknown report id(s): {', '.join(unknown)}. Known reports: {', '.join(known)}.")
    if api.companies:
        CompanyDirectory(service.reports()).resolve(api.companies)  # an unknown company: 404 before any work
    return Filters(report_ids=api.report_ids or None, companies=api.companies or None, years=api.years or None)


_ACCEPTS: dict[tuple[type, str, str], bool] = {}


def _accepts(service: ServiceLike, method: str, param: str) -> bool:
    """Whether `service.<method>` takes `param` (the real service does; simpler stand-ins may not)."""
    key = (type(service), method, param)
    if key not in _ACCEPTS:
        _ACCEPTS[key] = param in inspect.signature(getattr(service, method)).parameters
    return _ACCEPTS[key]


@v1.post(
    "/ask",
    response_model=Answer,
    summary="Answer a question with verbatim quotes and citations",
    responses=_errors(401, 404, 413, 422, 429, 503),
    description="503 `over_time_budget`: the answer ran past ESGQA_ANSWER_BUDGET_MS and was stopped.",
)
async def ask(body: AskRequest, rt: Runtime) -> Response:
    settings = rt.settings
    deadline = Deadline.start(settings.answer_budget_ms)  # queueing for a thread counts too
    check_length(body.question, settings.max_question_chars, "question")
    history = check_history(body.history, settings.max_question_chars, settings.history_max_turns,
                            settings.history_max_chars)
    service = rt.holder.get()  # this request keeps this service even if a reload swaps it
    filters = _filters(body.filters, service)
    top_k = body.top_k or rt.settings.default_top_k
    logger.info("ask question=%r top_k=%d filters=%s history=%d", truncate(body.question), top_k,
                filters.model_dump(exclude_defaults=True) if filters else None, len(history))
    kwargs: dict[str, Any] = {"history": history or None, "filters": filters, "top_k": top_k}
    if body.mode != "hybrid" and _accepts(service, "ask", "mode"):
        kwargs["mode"] = body.mode
    if _accepts(service, "ask", "deadline"):
        kwargs["deadline"] = deadline
    answer: Answer = await rt.run(partial(service.ask, body.question, **kwargs))
    if answer.answer_id is None:
        answer = answer.model_copy(update={"answer_id": uuid.uuid4().hex})
    rt.metrics.answers.labels(outcome="answered" if answer.answered else "abstained").inc()
    return _json(answer)


def _citation(hit: Hit, reports: dict[str, ReportInfo]) -> Citation:
    chunk = hit.chunk
    info = reports.get(chunk.report_id)
    return Citation(
        report_id=chunk.report_id,
        company=info.company if info else "",
        title=info.title if info else chunk.report_id,
        year=info.year if info else 0,
        section=chunk.section,
        page=chunk.page,
        page_label=chunk.page_label,
        source=chunk.source,
        start=chunk.start,
        end=chunk.end,
    )


@v1.post(
    "/search",
    response_model=SearchResponse,
    summary="Ranked passages with citations",
    responses=_errors(401, 404, 413, 422, 429, 503),
)
async def search(body: SearchRequest, rt: Runtime) -> Response:
    deadline = Deadline.start(rt.settings.answer_budget_ms)
    check_length(body.query, rt.settings.max_question_chars, "query")
    service = rt.holder.get()
    filters = _filters(body.filters, service)
    logger.info("search query=%r k=%d mode=%s", truncate(body.query), body.k, body.mode)
    kwargs: dict[str, Any] = {"k": body.k, "mode": body.mode, "filters": filters}
    if _accepts(service, "search", "deadline"):
        kwargs["deadline"] = deadline
    hits: list[Hit] = await rt.run(partial(service.search, body.query, **kwargs))
    reports = {r.id: r for r in service.reports()}
    out = [
        SearchHit(
            rank=hit.rank or i,
            score=float(hit.score),
            text=hit.chunk.text,
            kind=hit.chunk.kind,
            citation=_citation(hit, reports),
            context=hit.chunk.context or None,
        )
        for i, hit in enumerate(hits, start=1)
    ]
    return _json(SearchResponse(query=body.query, hits=out))


@v1.get("/reports", response_model=list[ReportOut], summary="The reports in the index",
        responses=_errors(401, 429, 503))
async def reports(rt: Runtime) -> list[ReportOut]:
    service = rt.holder.get()
    counter = getattr(service, "chunk_counts", None)
    counts: dict[str, int] = counter() if callable(counter) else {}
    return [
        ReportOut(
            id=r.id, company=r.company, aliases=list(r.aliases), title=r.title, year=r.year, years_covered=list(r.years_covered),
            source=r.source, chunk_count=counts.get(r.id),
        )
        for r in service.reports()
    ]


def client_key(request: Request) -> str:
    """Who is asking, as the rate limiter keys it (API key hash, else the client address)."""
    key = getattr(request.state, "client", None)
    if isinstance(key, str) and key:
        return key
    return "ip:" + (request.client.host if request.client else "unknown")


@v1.post("/feedback", status_code=202, response_model=Accepted, summary="Was an answer helpful?",
         description="Stored durably before the reply. Refused, with nothing stored: 429 when this client "
         "(API key, else address) sent its quota (ESGQA_FEEDBACK_PER_CLIENT_HOUR/_DAY), 507 when the store is "
         "full, 503 when it cannot be written.",
         responses=_errors(401, 413, 422, 429, 503, 507))
async def feedback(body: FeedbackRequest, request: Request, rt: Runtime) -> Accepted:
    entry = FeedbackEntry(
        question=body.question, answer_id=body.answer_id, helpful=body.helpful, comment=body.comment,
        source=body.source,
    )
    try:
        await rt.run(rt.feedback.record, entry, client_key(request))
    except FeedbackRefused as exc:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        raise APIError(exc.status, exc.code, str(exc), headers=headers) from exc
    return Accepted()


@v1.post(
    "/admin/reload",
    response_model=ReloadResponse,
    summary="Load the newest valid index build and swap it in",
    description="Requires an API key when ESGQA_API_KEYS is set; without configured keys only loopback "
    "clients may call it. If the new index is invalid the old one keeps serving (409).",
    responses=_errors(401, 403, 409, 429),
)
async def admin_reload(request: Request, rt: Runtime) -> Response:
    if not rt.settings.api_key_set:
        host = request.client.host if request.client else ""
        if host not in LOOPBACK:
            raise APIError(403, "forbidden", "Reload is only allowed from loopback unless ESGQA_API_KEYS is set.")
    try:
        result = await rt.reload("http")
    except ReloadInProgress as exc:
        raise APIError(409, "reload_in_progress", "A reload is already running; retry when it ends.") from exc
    except ReloadFailed as exc:
        still = exc.still_serving or "nothing (not ready)"
        return error_response(409, "reload_failed", f"The new index could not be loaded ({exc.reason}); "
                              f"still serving {still}.", still_serving=exc.still_serving)
    return _json(ReloadResponse(build_id=result.build_id, previous_build_id=result.previous_build_id,
                                seconds=round(result.seconds, 3)))


# GET and HEAD as two routes (one route with both methods gives both the same OpenAPI operation id)
@probes.get("/healthz", response_model=Health, summary="The process is alive")
@probes.head("/healthz", response_model=Health, summary="The process is alive (no body)")
async def healthz() -> Health:
    return Health()


@probes.get("/readyz", response_model=Ready, summary="A service is loaded and answering", responses=_errors(503))
@probes.head("/readyz", response_model=Ready, summary="A service is loaded and answering (no body)",
             responses=_errors(503))
async def readyz(rt: Runtime) -> Response:
    holder = rt.holder
    build_id = holder.build_id
    if build_id is None:
        return error_response(503, "not_ready", holder.reason or holder.state, headers={"Retry-After": "2"},
                              state=holder.state)
    return _json(Ready(build_id=build_id, loaded_at=holder.loaded_at, last_reload_error=holder.last_reload_error))


@probes.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(rt: Runtime) -> Response:
    return Response(rt.metrics.render(), media_type=rt.metrics.content_type)


__all__ = ["v1", "probes"]
