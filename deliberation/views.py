"""Helpers shared by the deliberation controllers: rendering with the package's template names, live follow-ups."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.background_tasks import BackgroundTask
from litestar.response import Template

from community.safetext import parse_id
from community.web import page, see_other
from deliberation import feed


def show(
    request: Request[Any, Any, Any],
    template: str,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> Template:
    return page(request, template, fragment=fragment, status_code=status_code, **feed.GLOBALS, **context)


def announce_after(response: Response[Any], meeting_id: int, *parts: str, **changes: Any) -> Response[Any]:
    """Send the live updates once the response has gone out (the change is committed by then)."""
    response.background = BackgroundTask(feed.announce, meeting_id, *parts, **changes)
    return response


def back(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    """After a form: see the result on a fresh page (303, so a reload does not post again). An htmx request
    would follow a redirect inside its swap; it is told to navigate instead."""
    return see_other(request, path)


def form_int(form: Any, name: str) -> int | None:
    return parse_id(form.get(name, ""))
