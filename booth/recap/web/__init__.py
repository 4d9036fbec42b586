"""The recap's web pages: ``create_app(recap)`` and ``serve(recap, host, port, workers)``."""

from booth.recap.web.app import create_app, serve

__all__ = ["create_app", "serve"]
