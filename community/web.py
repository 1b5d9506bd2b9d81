"""Web plumbing shared by every package: page rendering, the current user, errors mapped to responses."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Message, Scope

from community import accounts, i18n, inputs, known
from community.accounts import CurrentUser
from community.config import get_config
from community.db import failed_while_committing
from community.errors import DomainError, Forbidden, FormErrors, NotFound, NotSignedIn
from community.i18n import gettext as _

log = logging.getLogger("yishi")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
]


# Set on the request's state by public_url() when absolute links were built from the request's own Host header.
HOST_LINKS = "yishi_host_links"
NO_STORE = "private, no-store"
# A page with links from an unchecked Host: the visitor's browser may keep it, no shared cache may.
HOST_LINKS_CACHE = "private, no-cache"


def cache_policy(existing: str | None, path: str, host_links: bool) -> str | None:
    """The Cache-Control a response leaves with, or None to leave it as it is.

    Nothing is kept by a cache unless its handler says so: a response without Cache-Control (every staff
    page, every page for a signed-in user, join and receipt pages, errors, redirects) is `private, no-store`.
    A handler's `public` is withdrawn when the page's absolute links came from the request's Host header,
    which anyone can set (a shared cache would hand the attacker's links to everyone). Static files keep theirs.
    """
    if path.startswith("/static/"):
        return None
    if existing is None:
        return NO_STORE
    if host_links and "public" in existing.lower():
        return HOST_LINKS_CACHE
    return None


async def add_security_headers(message: Message, scope: Scope) -> None:
    """before_send hook: every response, errors included, carries the security headers and a cache policy."""
    if message["type"] == "http.response.start":
        headers = list(message.get("headers", []))
        present = {name.lower() for name, _value in headers}
        headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
        if get_config().is_production:
            headers.append((b"strict-transport-security", b"max-age=31536000"))
        existing = next((value.decode("latin-1") for name, value in headers if name.lower() == b"cache-control"), None)
        state = scope.get("state") or {}
        policy = cache_policy(existing, scope.get("path", ""), bool(state.get(HOST_LINKS)))
        if policy is not None:
            headers = [(name, value) for name, value in headers if name.lower() != b"cache-control"]
            headers.append((b"cache-control", policy.encode()))
        message["headers"] = headers


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address; X-Forwarded-For is believed only from a configured proxy."""
    peer = request.client.host if request.client else "unknown"
    if peer in get_config().trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return peer


def public_url(request: Request[Any, Any, Any]) -> str:
    """The site's address as visitors reach it, for QR codes, printed slips and ballots, Open Graph and feeds:
    YISHI_PUBLIC_URL when set; else the request's, believing X-Forwarded-Proto only from a trusted proxy (as
    for X-Forwarded-For), so a TLS-terminating proxy does not turn every printed address into http://."""
    config = get_config()
    if config.public_url:
        return config.public_url
    # Only in development (production requires YISHI_PUBLIC_URL): this page must not be publicly cached.
    request.scope.setdefault("state", {})[HOST_LINKS] = True
    scheme = request.url.scheme
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if peer in config.trusted_proxies and forwarded in ("http", "https"):
        scheme = forwarded
    return f"{scheme}://{request.url.netloc}"


def activate_language(request: Request[Any, Any, Any]) -> str:
    language = i18n.negotiate(request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language"))
    i18n.set_language(language)
    return language


async def load_user(request: Request[Any, Any, Any]) -> None:
    """before_request hook: the language and the signed-in user of this request, and its inputs checked."""
    activate_language(request)
    request.state.user, knowledge = await accounts.session_and_known(request.cookies.get(accounts.SESSION_COOKIE))
    known.remember(knowledge)  # for this request only (known.request_scope)
    await inputs.check_request(request)  # ids in range, no control characters: for every route, in one place


def current_user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    user: CurrentUser | None = getattr(request.state, "user", None)
    return user


def require_user(request: Request[Any, Any, Any]) -> CurrentUser:
    user = current_user(request)
    if user is None:
        raise NotSignedIn("Please sign in first.")
    return user


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths are followed after sign-in, never another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    """Render a full page, or only `fragment` for an htmx request (same template, same context)."""
    name = fragment if fragment and is_htmx(request) else template
    response_headers = {"Vary": "HX-Request, Accept-Language, Cookie"}
    if headers:
        response_headers.update(headers)
    return Template(
        template_name=name,
        context=base_context(request) | context,
        status_code=status_code,
        headers=response_headers,
        media_type=MediaType.HTML,  # spares a mimetypes lookup of the template name per request
    )


TEXT_SIZE_COOKIE = "yishi_text"


def large_text(request: Request[Any, Any, Any], user: CurrentUser | None) -> bool:
    """大字模式: this device's choice if it made one, else the signed-in account's."""
    chosen = request.cookies.get(TEXT_SIZE_COOKIE)
    if chosen in ("large", "normal"):
        return chosen == "large"
    return bool(user and user.large_text)


def base_context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    user = current_user(request)
    return {
        "user": user,
        "large_text": large_text(request, user),
        "language": i18n.get_language(),
        "languages": i18n.LANGUAGES,
        "html_lang": i18n.html_lang(),
        "current_path": request.url.path + (("?" + request.url.query) if request.url.query else ""),
    }


def form_values(form: Any, *names: str) -> dict[str, str]:
    """What the user typed, trimmed, to put back in the form when it is shown again."""
    return {name: str(form.get(name, "") or "").strip() for name in names}


def see_other(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    """After a form: go to `path`. A plain form gets 303 See Other (a reload does not post again).

    An htmx request gets 200 with HX-Redirect, never a 3xx: the browser follows a redirect itself, before
    htmx sees any header, and htmx would then swap the whole next page into the form's target."""
    if is_htmx(request):
        return Response(content=b"", status_code=200, headers={"HX-Redirect": path, "Vary": "HX-Request"})
    return Redirect(path=path, status_code=303)


def signin_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    target = request.url.path + (("?" + request.url.query) if request.url.query else "")
    # From htmx: a full navigation to the sign-in page, not a swap of it into a fragment.
    return see_other(request, "/signin?next=" + quote(target, safe="/"))


def _error_page(request: Request[Any, Any, Any], status_code: int, title: str, message: str) -> Template:
    activate_language(request)
    user = getattr(request.state, "user", None) if "state" in request.scope else None
    context = {
        "user": user,
        "large_text": large_text(request, user),
        "language": i18n.get_language(),
        "languages": i18n.LANGUAGES,
        "html_lang": i18n.html_lang(),
        "current_path": request.url.path,
        "status_code": status_code,
        "title": title,
        "message": message,
    }
    name = "errors/_error.html" if is_htmx(request) else "errors/error.html"
    return Template(template_name=name, context=context, status_code=status_code, headers={"Vary": "HX-Request"})


def handle_domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, DomainError)
    activate_language(request)
    if isinstance(exc, NotSignedIn):
        return signin_redirect(request)
    message = _(exc.message).format(**exc.params) if exc.params else _(exc.message)
    if isinstance(exc, FormErrors):
        message = _("Please correct the marked fields.") + " " + " ".join(_(m) for m in exc.errors.values())
    titles = {403: _("Not allowed"), 404: _("Not found"), 409: _("Conflict"), 429: _("Too many attempts")}
    return _error_page(request, exc.status_code, titles.get(exc.status_code, _("Cannot do that")), message)


def handle_http_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    activate_language(request)
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        return signin_redirect(request)
    if isinstance(exc, NotFoundException) or status == 404:
        return _error_page(request, 404, _("Not found"), _("This page does not exist. Check the address or go back to the start page."))
    if isinstance(exc, PermissionDeniedException) or status == 403:
        detail = str(exc.detail or "")
        if "CSRF" in detail:
            message = _("This form has expired. Please go back, reload the page and submit it again.")
        else:
            message = _("You are not allowed to see or do this.")
        return _error_page(request, 403, _("Not allowed"), message)
    if status == 413:
        return _error_page(request, 413, _("Too large"), _("What you sent is too large."))
    if status == 405:
        return _error_page(request, 405, _("Cannot do that"), _("This address does not accept that kind of request."))
    if status == 429:
        return _error_page(request, 429, _("Too many attempts"), _("Too many requests. Please wait a moment and try again."))
    if status >= 500:
        log.error("HTTP %s: %s", status, exc.detail)
        return _error_page(request, status, _("Something went wrong"), _("Something went wrong on our side. Please try again in a moment."))
    return _error_page(request, status, _("Cannot do that"), _("The request could not be understood. Please go back and try again."))


def database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (down, restarting, refusing connections, locked for too long)."""
    import sqlite3

    from asyncpg import exceptions as pg

    seen: BaseException | None = exc
    for _depth in range(5):
        if seen is None:
            return False
        if isinstance(seen, ConnectionError | TimeoutError | pg.CannotConnectNowError | pg.ConnectionDoesNotExistError
                      | pg.AdminShutdownError | pg.TooManyConnectionsError | pg.ConnectionFailureError):
            return True
        if isinstance(seen, pg.InterfaceError) and "connection" in str(seen):
            return True
        if isinstance(seen, sqlite3.OperationalError) and ("locked" in str(seen) or "unable to open" in str(seen)):
            return True
        if isinstance(seen, OSError) and not isinstance(seen, FileNotFoundError | PermissionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def handle_server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    activate_language(request)
    if database_unavailable(exc):
        # Said plainly, so nobody wonders whether a ballot or a comment went through: it did not.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        response = _error_page(request, 503, _("Please try again in a minute"), _(
            "Yishi cannot reach its database at the moment. Nothing you just sent was saved; a ballot counts only "
            "once you see its receipt code. Please try again in a minute."))
        if failed_while_committing(exc):  # COMMIT was on its way: the change may be stored; say only what is known
            response = _error_page(request, 503, _("Please try again in a minute"), _(
                "The connection to the database broke while your change was being saved, so Yishi cannot tell "
                "whether it was stored. In a minute, look at the page again before sending anything twice."))
        response.headers["Retry-After"] = "30"
        return response
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _error_page(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        _("Something went wrong"),
        _("Something went wrong on our side. Please try again in a moment."),
    )


def is_integer_overflow(exc: BaseException) -> bool:
    """The database driver refused an integer too large for its column (an id nobody could have)."""
    for error in (exc, exc.__cause__):
        text = str(error or "")
        if isinstance(error, OverflowError | ValueError) or "invalid input for query argument" in text:
            if "int" in text and ("too large" in text or "out of" in text):
                return True
    return False


def handle_data_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The safety net behind community.inputs: an integer the database cannot hold names nothing (404); text it
    cannot store is refused (400). Anything else is a server error."""
    activate_language(request)
    if is_integer_overflow(exc):
        log.warning("integer out of range on %s %s: %s", request.method, request.url.path, exc)
        return _error_page(request, 404, _("Not found"), _("This page does not exist. Check the address or go back to the start page."))
    if "invalid byte sequence" in str(exc) or "character with byte sequence" in str(exc):
        log.warning("text the database cannot store on %s %s: %s", request.method, request.url.path, exc)
        return _error_page(request, 400, _("Cannot do that"), _(inputs.CONTROL_CHARACTERS))
    return handle_server_error(request, exc)


def _driver_data_errors() -> dict[Any, Any]:
    try:
        from asyncpg.exceptions import DataError
    except ImportError:  # pragma: no cover - asyncpg is installed with Yishi
        return {}
    return {DataError: handle_data_error}


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: handle_domain_error,
    HTTPException: handle_http_error,
    OverflowError: handle_data_error,
    **_driver_data_errors(),
    Exception: handle_server_error,
}

__all__ = [
    "Forbidden",
    "NotFound",
    "current_user",
    "page",
    "require_user",
]


def session_cookie(token: str | None) -> Cookie:
    """The session cookie after signing in (a token) or out (None): HTTP-only, Secure in production."""
    secure = get_config().is_production
    if token is None:
        return Cookie(key=accounts.SESSION_COOKIE, value="", max_age=0, httponly=True, samesite="lax", secure=secure)
    return Cookie(
        key=accounts.SESSION_COOKIE,
        value=token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure,
    )
