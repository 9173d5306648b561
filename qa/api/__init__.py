"""The HTTP adapter: a FastAPI app over `QAService` (see `qa.api.app.create_app`)."""
