"""The recap's web pages: ``create_app(recap)`` and ``serve(recap, host, port, workers)``.

The web framework is imported only when a page is served, so that ``booth recap user ...``
and the rest of the ``booth`` command line work on a base install without the ``recap`` extra.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def create_app(*args: Any, **kwargs: Any) -> Any:
    """Build the Starlette app (see :func:`booth.recap.web.app.create_app`)."""
    from booth.recap.web.app import create_app as _create_app

    return _create_app(*args, **kwargs)


def serve(*args: Any, **kwargs: Any) -> Any:
    """Run the recap's web server under uvicorn (see :func:`booth.recap.web.app.serve`)."""
    from booth.recap.web.app import serve as _serve

    return _serve(*args, **kwargs)
