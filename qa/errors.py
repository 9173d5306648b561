"""The service's error hierarchy. Each message tells the user what to do next."""

from __future__ import annotations


class QAError(Exception):
    """Base class of every error the service raises on purpose."""

    code = "qa_error"
    status = 500


class BadQuestion(QAError):
    code = "bad_question"
    status = 422


class QuestionTooLong(BadQuestion):
    code = "question_too_long"
    status = 413


class UnknownReport(QAError):
    code = "unknown_report"
    status = 404


class UnknownCompany(QAError):
    code = "unknown_company"
    status = 404


class ManifestError(QAError):
    """The seeds manifest is missing, malformed, or names a file that changed."""

    code = "manifest_error"
    status = 500


class ReportChanged(ManifestError):
    code = "report_changed"


class IngestError(QAError):
    """A report file could not be read."""

    code = "ingest_error"
    status = 422


class IndexNotFound(QAError):
    code = "index_not_found"
    status = 503


class StaleIndex(QAError):
    code = "stale_index"
    status = 503


class CorruptIndex(QAError):
    code = "corrupt_index"
    status = 503


class NotReady(QAError):
    code = "not_ready"
    status = 503


class OverBudget(QAError):
    """A request ran past its time budget (`ESGQA_ANSWER_BUDGET_MS`) and was stopped between stages."""

    code = "over_time_budget"
    status = 503
