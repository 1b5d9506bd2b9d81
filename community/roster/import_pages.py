"""Roster pages for importing and exporting the register: template, export, upload, preview, progress, apply."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from community.errors import NotFound
from community.i18n import lazy
from community.permissions import require_manage
from community.roster import importer, uploads
from community.roster import messages as labels
from community.roster.controllers import ROSTER, _labels, _staff
from community.roster.files import template_csv, template_xlsx, write_csv, write_xlsx
from community.roster.snapshot import export_rows
from community.web import page

# A 10,000-flat XLSX is about 0.6 MB; room for registers with long lists of names.
MAX_UPLOAD = 20 * 1024 * 1024
PREVIEW_ROWS = 50
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _download(data: bytes, fmt: str, filename: str) -> Response[bytes]:
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        content=data,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "no-store",
        },
    )


@get(ROSTER + "/template/{fmt:str}", name="roster_template")
async def roster_template(request: Request[Any, Any, Any], slug: FromPath[str], fmt: FromPath[str]) -> Response[bytes]:
    _user, _community, access = await _staff(request, slug)
    require_manage(access)
    if fmt not in MEDIA_TYPES:
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    data = template_csv() if fmt == "csv" else template_xlsx()
    return _download(data, fmt, f"房屋与业主登记表.{fmt}")


@get(ROSTER + "/export/{fmt:str}", name="roster_export")
async def roster_export(request: Request[Any, Any, Any], slug: FromPath[str], fmt: FromPath[str]) -> Response[bytes]:
    _user, community, access = await _staff(request, slug)
    require_manage(access)
    if fmt not in MEDIA_TYPES:
        raise NotFound(lazy("This page does not exist. Check the address or go back to the start page."))
    rows = await export_rows(int(community["id"]))
    data = write_csv(rows) if fmt == "csv" else write_xlsx(rows)
    return _download(data, fmt, f"{community['name']}-{date.today().isoformat()}.{fmt}")


@get(ROSTER + "/import", name="roster_import")
async def roster_import(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    require_manage(access)
    return page(
        request,
        "roster/import.html",
        community=community,
        access=access,
        problems=[],
        errors={},
        filename="",
        **_labels(),
    )


@post(ROSTER + "/import", name="roster_upload", request_max_body_size=MAX_UPLOAD)
async def roster_upload(request: Request[Any, Any, Any], slug: FromPath[str]) -> Template | Redirect:
    user, community, access = await _staff(request, slug)
    require_manage(access)
    form = await request.form()
    upload = form.get("register")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    if not data:
        return page(
            request,
            "roster/import.html",
            status_code=422,
            community=community,
            access=access,
            problems=[],
            errors={"register": lazy("Choose a register file (.xlsx or .csv) to upload.")},
            filename=filename,
            **_labels(),
        )
    checked = await uploads.check_file(filename, data)
    if checked.problems:
        return page(
            request,
            "roster/import.html",
            status_code=422,
            community=community,
            access=access,
            problems=labels.show_problems(checked.problems),
            errors={},
            filename=filename,
            **_labels(),
        )
    token = await uploads.store_upload(int(community["id"]), user.id, filename, data)
    return Redirect(path=f"/c/{slug}/roster/import/{token}", status_code=303)


async def _preview_context(community: dict[str, Any], token: str) -> dict[str, Any]:
    upload = await uploads.get_upload(int(community["id"]), token)
    context: dict[str, Any] = {"upload": upload, "progress": uploads.progress_of(token)}
    if upload["status"] in ("previewed", "failed"):
        stored = await uploads.get_upload(int(community["id"]), token, with_data=True)
        checked = await uploads.check_file(stored["filename"], bytes(stored["data"]))
        plan, fingerprint = await uploads.preview(int(community["id"]), checked.rows)
        context.update(diff=plan.diff, fingerprint=fingerprint, preview_rows=PREVIEW_ROWS)
    return context


@get(ROSTER + "/import/{token:str}", name="roster_preview")
async def roster_preview(request: Request[Any, Any, Any], slug: FromPath[str], token: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    require_manage(access)
    context = await _preview_context(community, token)
    return page(request, "roster/preview.html", community=community, access=access, alert=None, **context, **_labels())


@get(ROSTER + "/import/{token:str}/progress", name="roster_progress")
async def roster_progress(request: Request[Any, Any, Any], slug: FromPath[str], token: FromPath[str]) -> Template:
    _user, community, access = await _staff(request, slug)
    require_manage(access)
    upload = await uploads.get_upload(int(community["id"]), token)
    return page(
        request,
        "roster/_import_progress.html",
        community=community,
        upload=upload,
        progress=uploads.progress_of(token),
    )


@post(ROSTER + "/import/{token:str}/apply", name="roster_apply")
async def roster_apply(
    request: Request[Any, Any, Any], slug: FromPath[str], token: FromPath[str]
) -> Template | Redirect:
    user, community, access = await _staff(request, slug)
    require_manage(access)
    form = await request.form()
    expected = str(form.get("base", "") or "")
    # Adding and updating is the default; removing the flats the file lacks is a separate, confirmed step.
    remove = form.get("remove") == "1"
    if remove and form.get("confirm_remove") != "1":
        context = await _preview_context(community, token)
        return page(request, "roster/preview.html", status_code=422, community=community, access=access, alert=None,
                    remove_error=lazy("Tick the box to confirm that these flats are to be removed."), **context, **_labels())  # fmt: skip
    outcome = await uploads.start_apply(int(community["id"]), token, user.id, expected, remove=remove)
    if outcome == "stale":
        context = await _preview_context(community, token)
        return page(
            request,
            "roster/preview.html",
            status_code=409,
            community=community,
            access=access,
            alert=importer.STALE_REGISTER,
            **context,
            **_labels(),
        )
    return Redirect(path=f"/c/{slug}/roster/import/{token}", status_code=303)


ROUTES = [
    roster_template,
    roster_export,
    roster_import,
    roster_upload,
    roster_preview,
    roster_progress,
    roster_apply,
]
