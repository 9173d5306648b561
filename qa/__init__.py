"""esgqa: question answering over corporate ESG reports with verbatim, cited quotes."""

__version__ = "0.1.0"
