"""Pages of residents' concerns: the list (a resident's own, or the staff register with its flags), raising one
from a phone or recording one on someone's behalf, a concern with its log and what the viewer may do with it,
and its photos. Controllers parse, call one service, pick a page; every form works without JavaScript."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import File, Template

from community import publications
from community.accounts import CurrentUser, mask_phone
from community.admin.core import ROLE_LABELS
from community.errors import Forbidden, FormErrors, NotFound
from community.i18n import lazy
from community.safetext import form_date, parse_id
from community.web import form_values, page, require_user, see_other
from deliberation.concerns import core, figures, photos, rating, services, store, topics
from deliberation.concerns.rating import Rate
from deliberation.concerns.services import Answer, Dispatch, Escalate, Intake, LogStep
from votes.matters import OUTCOME_LABELS

RATE_LABELS = (
    ("response", lazy("responded within the limit")), ("answered_on_time", lazy("answered before the due date")),
    ("first_handling", lazy("solved at the first handling")), ("satisfaction", lazy("satisfied or basically satisfied")),
    ("resolution", lazy("solved, as the residents judge")), ("on_time_closure", lazy("closed on time")),
)  # fmt: skip


def step5(n: int, peak: int) -> int:
    """A bar's length in steps of 5 % of the largest (at least one step for anything above zero)."""
    if not n or not peak:
        return 0
    return max(5, min(100, 5 * round(20 * n / peak)))


def heat_level(n: int, peak: int) -> int:
    """0 for nothing, else 1 to 5 by share of the busiest cell."""
    return 0 if not n or not peak else max(1, min(5, -(-5 * n // peak)))


def rate_of(pair: Any) -> figures.Rate:
    try:
        return figures.Rate(int(pair[0]), int(pair[1]))
    except (TypeError, ValueError, IndexError):
        return figures.Rate(0, 0)


def heat_of(data: Any) -> figures.Heat:
    """A published heat table back as a Heat."""
    data = data if isinstance(data, dict) else {}
    cells = {(str(c[0]), str(c[1])): int(c[2]) for c in data.get("cells", []) if isinstance(c, list) and len(c) == 3}
    return figures.Heat(tuple(str(r) for r in data.get("buildings", [])), tuple(str(k) for k in data.get("kinds", [])), cells)


UPLOAD_BODY = core.MAX_PHOTOS * photos.MAX_BYTES + 512 * 1024  # three photos and the rest of the form
GLOBALS: dict[str, Any] = {
    "KINDS": core.KINDS, "KIND_SHORT": core.KIND_SHORT, "CHANNELS": core.CHANNELS, "STATUSES": core.STATUSES, "HANDLER_KINDS": core.HANDLER_KINDS,
    "RATINGS": core.RATINGS, "STEP_LABELS": core.STEP_LABELS, "HEARD_BY": core.HEARD_BY, "ROLE_LABELS": ROLE_LABELS,
    "STAFF_CHANNELS": core.STAFF_CHANNELS, "AUTO_ESCALATED": core.AUTO_ESCALATED, "mask_phone": mask_phone,
    "MAX_PHOTOS": core.MAX_PHOTOS, "iso_date": lambda text: form_date(str(text or "")), "step5": step5, "heat_level": heat_level, "one_second": timedelta(seconds=1),
    "hours_text": figures.hours_text, "rate_of": rate_of, "heat_of": heat_of, "RATE_LABELS": RATE_LABELS,
    "OUTCOME_LABELS": OUTCOME_LABELS, "PUBLICATION_KINDS": publications.KIND_LABELS, "building_label": core.building_label,
    "unit_label": core.unit_label,
}  # fmt: skip
INTAKE_FIELDS = ("kind", "place", "place_note", "text", "public_text", "channel", "reporter_name", "reporter_phone")


def show(request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any) -> Template:
    return page(request, template, status_code=status_code, **GLOBALS, **context)


def back(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    return see_other(request, path)


def flagged(rows: list[dict[str, Any]], settings: core.Settings, at: datetime) -> list[dict[str, Any]]:
    for r in rows:
        r["flags"] = core.flags(store.timing_of(r), settings, at)
    return rows


# --- Lists ----------------------------------------------------------------------------------------------------


@get("/concerns", name="concerns_home")
async def concerns_home(request: Request[Any, Any, Any]) -> Template:
    from deliberation.meetings import my_communities

    user = require_user(request)
    return show(request, "concerns/home.html", communities=await my_communities(user))


async def _list_page(request: Request[Any, Any, Any], slug: str, topic_errors: dict[str, str] | None = None,
                     topic_values: dict[str, str] | None = None, status_code: int = 200) -> Template:  # fmt: skip
    user = require_user(request)
    community, standing = await services.community_context(user, slug)
    at = services.now()
    settings = store.settings_of(community)
    query = request.query_params
    filters = {"status": str(query.get("status", "") or ""), "kind": str(query.get("kind", "") or ""),
               "flag": str(query.get("flag", "") or ""), "item": str(query.get("item", "") or "")}  # fmt: skip
    mine = flagged(await store.listed(int(community["id"]), reporter=user.id), settings, at)
    rows: list[dict[str, Any]] = []
    if standing.staff or standing.street_staff:
        listed = await store.listed(int(community["id"]), status=filters["status"], kind=filters["kind"],
                                    item=parse_id(filters["item"]), escalated=not standing.staff)  # fmt: skip
        rows = flagged([r for r in listed if standing.sees_as_staff(store.place_of(r))], settings, at)
        if filters["flag"] in ("red", "yellow", "overdue"):
            rows = [r for r in rows if getattr(r["flags"], filters["flag"])]
    elif not mine and not await store.resident_flats(user.id, int(community["id"])):
        raise Forbidden(lazy("You are not allowed to see or do this."))
    counts = {name: sum(1 for r in rows if getattr(r["flags"], name)) for name in ("red", "yellow", "overdue")}
    meetings = await topics.bench_meetings(int(community["id"])) if standing.dispatcher else []
    return show(request, "concerns/list.html", status_code=status_code, community=community, standing=standing,
                rows=rows, mine=mine, filters=filters, counts=counts, meetings=meetings,
                topic_errors=topic_errors or {}, topic_values=topic_values or {})  # fmt: skip


@get("/c/{slug:str}/concerns", name="concerns_list")
async def concerns_list(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    return await _list_page(request, slug)


@post("/c/{slug:str}/concerns/topic", name="concerns_topic")
async def concerns_topic(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    user = require_user(request)
    community, _standing = await services.community_context(user, slug)
    form = await request.form()
    ids = tuple(i for i in (parse_id(v) for v in form.getall("concern") if isinstance(v, str)) if i is not None) \
        if "concern" in form else ()
    values = form_values(form, "title", "meeting")
    try:
        meeting_id, item_id = await topics.make_topic(user, topics.Topic(
            int(community["id"]), parse_id(values["meeting"]), ids, values["title"]))  # fmt: skip
    except FormErrors as exc:
        return await _list_page(request, slug, exc.errors, values, 422)
    return back(request, f"/m/{meeting_id}/items/{item_id}/edit")


# --- Intake ---------------------------------------------------------------------------------------------------


async def _intake_page(request: Request[Any, Any, Any], user: CurrentUser, slug: str, values: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None, status_code: int = 200,
                       staff_form: bool | None = None) -> Template:  # fmt: skip
    community, standing = await services.community_context(user, slug)
    flats = await store.resident_flats(user.id, int(community["id"]))
    if staff_form is None:
        staff_form = standing.staff and request.query_params.get("mine") != "1"
    if not staff_form and not flats:
        raise Forbidden(services.NOT_RESIDENT)
    units = [u for u in await store.units(int(community["id"])) if standing.may_record_at(
        int(u["building.id"]), int(u["building.compound.id"]))] if staff_form else []  # fmt: skip
    compounds = await store.compounds(int(community["id"]))
    if staff_form:
        compounds = [c for c in compounds if standing.may_record_at(None, int(c["id"]))]
    defaults = {"place": f"flat:{flats[0]['id']}" if flats and not staff_form else "", "channel": "phone"}
    return show(request, "concerns/new.html", community=community, staff_form=staff_form, resident=bool(flats),
                flats=flats, units=units, compounds=compounds, values=values or defaults, errors=errors or {},
                status_code=status_code)  # fmt: skip


@get("/c/{slug:str}/concerns/new", name="concern_new")
async def concern_new(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    return await _intake_page(request, require_user(request), slug)


@post("/c/{slug:str}/concerns/new", name="concern_create", request_max_body_size=UPLOAD_BODY)
async def concern_create(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    user = require_user(request)
    community, standing = await services.community_context(user, slug)
    form = await request.form()
    values = form_values(form, *INTAKE_FIELDS)
    data: list[bytes] = []
    for upload in form.getall("photos") if "photos" in form else []:
        if hasattr(upload, "read"):
            body = await upload.read()
            if body or getattr(upload, "filename", ""):  # an empty part without a name: no file was chosen
                data.append(body)
    on_behalf = standing.staff and str(form.get("on_behalf", "")) == "1"
    try:
        concern_id = await services.intake(user, Intake(
            community_id=int(community["id"]), kind=values["kind"], place=values["place"], text=values["text"],
            place_note=values["place_note"], public_text=values["public_text"] == "1", photos=tuple(data),
            on_behalf=on_behalf, channel=values["channel"], reporter_name=values["reporter_name"],
            reporter_phone=values["reporter_phone"],
        ))  # fmt: skip
    except FormErrors as exc:
        return await _intake_page(request, user, slug, values, exc.errors, 422, staff_form=on_behalf)
    return back(request, f"/concerns/{concern_id}?raised=1")


# --- One concern ----------------------------------------------------------------------------------------------


async def _concern_page(request: Request[Any, Any, Any], concern_id: int, errors: dict[str, str] | None = None,
                        values: dict[str, str] | None = None, status_code: int = 200) -> Template:  # fmt: skip
    user = require_user(request)
    ctx = await services.context(user, concern_id)
    st, place, row = ctx.standing, ctx.place, ctx.row
    as_staff = st.sees_as_staff(place)
    at = services.now()
    settings = store.settings_of(ctx.community)
    rated = await store.rated_answers(ctx.id)
    may_rate_now = row["status"] == "answered" and int(row["answers"]) not in rated
    return show(
        request, "concerns/concern.html", status_code=status_code, c=row, community=ctx.community, standing=st,
        as_staff=as_staff, reporter_view=not as_staff, steps=await store.steps(ctx.id, visible_only=not as_staff),
        photos=await store.photos(ctx.id), ratings=await store.ratings(ctx.id) if as_staff else [],
        flags=core.flags(store.timing_of(row), settings, at), settings=settings,
        can_dispatch=st.dispatcher and core.next_status(str(row["status"]), "assign") is not None,
        can_handle=st.handles(place) and row["status"] != "closed",
        can_progress=st.handles(place) and core.next_status(str(row["status"]), "progress") is not None,
        can_answer=st.handles(place) and core.next_status(str(row["status"]), "answer") is not None,
        can_rate=st.is_reporter(place) and may_rate_now,
        can_rate_for=as_staff and st.handles(place) and may_rate_now,
        can_escalate=st.dispatcher and row["escalated_at"] is None and row["status"] != "closed"
        and ctx.community.get("street_ref") is not None,
        handlers=await store.staff_members(ctx.community_id) if st.dispatcher else [],
        errors=errors or {}, values=values or {}, raised=request.query_params.get("raised") == "1",
        today=at.astimezone(store.zone(ctx.community)).date().isoformat(),
    )  # fmt: skip


@get("/concerns/{concern_id:int}", name="concern")
async def concern(request: Request[Any, Any, Any], concern_id: FromPath[int]) -> Template:
    return await _concern_page(request, concern_id)


async def _act(request: Request[Any, Any, Any], concern_id: int, action: Any, fields: tuple[str, ...],
               anchor: str) -> Response[Any]:  # fmt: skip
    """Run one action from a form of the concern's page; the page again with the form's errors if refused."""
    form = await request.form()
    values = form_values(form, *fields)
    try:
        await action(require_user(request), values)
    except FormErrors as exc:
        return await _concern_page(request, concern_id, exc.errors, values, 422)
    return back(request, f"/concerns/{concern_id}#{anchor}")


@post("/concerns/{concern_id:int}/dispatch", name="concern_dispatch")
async def concern_dispatch(request: Request[Any, Any, Any], concern_id: FromPath[int]) -> Response[Any]:
    async def run(user: CurrentUser, v: dict[str, str]) -> None:
        await services.dispatch(user, Dispatch(concern_id, v["handler"], form_date(v["due_on"]), v["handler_name"]))

    return await _act(request, concern_id, run, ("handler", "handler_name", "due_on"), "log")


@post("/concerns/{concern_id:int}/steps", name="concern_step")
async def concern_step(request: Request[Any, Any, Any], concern_id: FromPath[int]) -> Response[Any]:
    async def run(user: CurrentUser, v: dict[str, str]) -> None:
        await services.log_step(user, LogStep(concern_id, v["step_text"], internal=v["internal"] == "1"))

    return await _act(request, concern_id, run, ("step_text", "internal"), "log")


@post("/concerns/{concern_id:int}/answer", name="concern_answer")
async def concern_answer(request: Request[Any, Any, Any], concern_id: FromPath[int]) -> Response[Any]:
    async def run(user: CurrentUser, v: dict[str, str]) -> None:
        await services.answer(user, Answer(concern_id, v["answer_text"]))

    return await _act(request, concern_id, run, ("answer_text",), "log")


@post("/concerns/{concern_id:int}/rate", name="concern_rate")
async def concern_rate(request: Request[Any, Any, Any], concern_id: FromPath[int]) -> Response[Any]:
    async def run(user: CurrentUser, v: dict[str, str]) -> None:
        await rating.rate(user, Rate(concern_id, v["rating"], v["comment"], v["on_behalf"] == "1", v["heard_by"]))

    return await _act(request, concern_id, run, ("rating", "comment", "on_behalf", "heard_by"), "log")


@post("/concerns/{concern_id:int}/escalate", name="concern_escalate")
async def concern_escalate(request: Request[Any, Any, Any], concern_id: FromPath[int]) -> Response[Any]:
    async def run(user: CurrentUser, v: dict[str, str]) -> None:
        await services.escalate(user, Escalate(concern_id, v["reason"]))

    return await _act(request, concern_id, run, ("reason",), "log")


async def _photo(request: Request[Any, Any, Any], concern_id: int, photo_id: int, thumb: bool) -> Response[Any]:
    ctx = await services.context(require_user(request), concern_id)  # the reporter or staff who see it
    row = await store.photo(ctx.id, photo_id)
    path = photos.path_of(str(row["stored_name"]), thumb=thumb) if row else None
    if row is None or path is None or not path.exists():
        raise NotFound(lazy("This photo does not exist."))
    name = f"concern-{concern_id}-{photo_id}.{str(row['stored_name']).rpartition('.')[2]}"
    return File(path=path, media_type=str(row["content_type"]), content_disposition_type="inline",
                headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}", "X-Content-Type-Options": "nosniff",
                         "Cache-Control": "private, no-store"})  # fmt: skip


@get("/concerns/{concern_id:int}/photos/{photo_id:int}", name="concern_photo")
async def concern_photo(request: Request[Any, Any, Any], concern_id: FromPath[int], photo_id: FromPath[int]) -> Response[Any]:
    return await _photo(request, concern_id, photo_id, thumb=False)


@get("/concerns/{concern_id:int}/photos/{photo_id:int}/thumb", name="concern_photo_thumb")
async def concern_photo_thumb(request: Request[Any, Any, Any], concern_id: FromPath[int],
                              photo_id: FromPath[int]) -> Response[Any]:  # fmt: skip
    return await _photo(request, concern_id, photo_id, thumb=True)


ROUTES = [concerns_home, concerns_list, concerns_topic, concern_new, concern_create, concern, concern_dispatch,
          concern_step, concern_answer, concern_rate, concern_escalate, concern_photo, concern_photo_thumb]  # fmt: skip
