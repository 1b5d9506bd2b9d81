"""What every request may contain, checked in one place before any handler runs, and text made safe for output.

- Ids and other integers in the path or in a query parameter declared as `int` must fit the database's integer
  (ids are PostgreSQL `integer`): anything larger cannot name anything, so the answer is 404.
- No control characters (other than tab, line feed and carriage return) in form fields, uploaded file names,
  query parameters or path segments: a form or query is refused with a translated 400, a path with 404.
- On output, XML (the Atom feed) drops the characters XML 1.0 cannot carry, and CSV cells lose control
  characters and cannot start a spreadsheet formula.

The checks are pure functions in community.safetext; `check_request` applies them to a Litestar request.
"""

from __future__ import annotations

from typing import Any

from litestar.params import CookieParameter, HeaderParameter, KwargDefinition, ParameterKwarg, PathParameter

from community.errors import DomainError, NotFound
from community.i18n import lazy
from community.safetext import has_control_characters, int_in_range, out_of_range

NOT_FOUND = lazy("This page does not exist. Check the address or go back to the start page.")
CONTROL_CHARACTERS = lazy(
    "What you sent contains invisible control characters, which cannot be stored. "
    "Please remove them (or type the text again) and send it once more."
)


class BadInput(DomainError):
    """A request Yishi refuses as it stands (400): the message says what to change."""

    status_code = 400


# --- The request check ----------------------------------------------------------------------------------------

_INT_QUERIES: dict[int, frozenset[str]] = {}


def _is_int_annotation(field: Any) -> bool:
    if field.annotation is int:
        return True
    return any(inner.annotation is int for inner in getattr(field, "inner_types", ()) or ())


def int_query_names(handler: Any) -> frozenset[str]:
    """The parameters a route handler declares as `int` (or `int | None`) that may come from the query string:
    all but headers, cookies and path parameters (path values are checked as such)."""
    key = id(handler)
    names = _INT_QUERIES.get(key)
    if names is None:
        found = set()
        for name, field in handler.parsed_fn_signature.parameters.items():
            kwarg = field.kwarg_definition
            if isinstance(kwarg, PathParameter | HeaderParameter | CookieParameter):
                continue
            if isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie):
                continue
            if isinstance(kwarg, KwargDefinition) and not isinstance(kwarg, ParameterKwarg):
                continue  # a request body
            if _is_int_annotation(field):
                found.add(kwarg.query if isinstance(kwarg, ParameterKwarg) and kwarg.query else name)
        names = _INT_QUERIES[key] = frozenset(found)
    return names


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def check_request(request: Any) -> None:
    """Refuse what no handler should ever see (see the module's docstring). Raises NotFound or BadInput."""
    for value in request.path_params.values():
        if isinstance(value, int) and not int_in_range(value):
            raise NotFound(NOT_FOUND)
        if isinstance(value, str) and has_control_characters(value):
            raise NotFound(NOT_FOUND)
    query = request.query_params
    if query:
        int_names = int_query_names(request.route_handler)
        for name, value in query.multi_items():
            if has_control_characters(name) or has_control_characters(value):
                raise BadInput(CONTROL_CHARACTERS)
            if name in int_names and name not in request.path_params and out_of_range(value):
                raise NotFound(NOT_FOUND)
    if request.method in ("POST", "PUT", "PATCH") and request.headers.get("content-type", "").startswith(FORM_TYPES):
        form = await request.form()  # parsed once: the handler gets the same (cached) form
        for name, value in form.multi_items():
            text = value if isinstance(value, str) else str(getattr(value, "filename", "") or "")
            if has_control_characters(name) or has_control_characters(text):
                raise BadInput(CONTROL_CHARACTERS)
