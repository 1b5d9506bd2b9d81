"""Agreements: generating an approved project's agreement, signing online and on paper, progress, completion."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from community import publications
from community.db import is_unique_violation, write_transaction
from community.errors import Conflict, Forbidden, FormErrors, NotFound
from community.i18n import get_language, lazy
from community.roster.scope import attachments
from community.safetext import form_date
from community.tables import Ownership
from votes.projects import agreements, budget, rounds, service, store
from votes.projects.agreement_scan import ScanRefused, clean_scan
from votes.projects.agreements import AgreementFacts, Progress, Sharer, SignatureFact
from votes.projects.store import ProjectContext
from votes.projects.tables import AgreementScan, AgreementSignature, ProjectAgreement
from votes.projects.terms import terms_from_json, terms_to_json

NOT_APPROVED: Final = lazy("The agreement can be generated once the project is approved.")
NOT_OPEN: Final = lazy("There is no agreement to sign for this project at the moment.")
NOT_FOUND: Final = lazy("This signature does not exist.")
ALREADY_SIGNED: Final = lazy("This owner has already signed for this flat (or a paper signature waits to be confirmed).")
RACE: Final = lazy("Someone else changed the agreement at the same moment. Please try again.")


@dataclass(frozen=True)
class AgreementView:
    """The project's latest agreement as a page shows it, for this user."""

    approved: bool
    row: dict[str, Any] | None
    sharers: tuple[Sharer, ...] = ()
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    progress: Progress | None = None
    signatures: tuple[dict[str, Any], ...] = ()
    void: str = ""  # "" or why this version no longer counts: shares_changed / generated_again
    previous: dict[str, Any] | None = None  # the version this one replaced, with its voided signature count

    @property
    def open(self) -> bool:
        return self.row is not None and not self.void and self.approved

    def sharer(self, flat_id: int) -> Sharer | None:
        return next((s for s in self.sharers if s.flat_id == flat_id), None)

    def fingerprint(self, document: str, language: str) -> str:
        text = self.texts.get(document, {}).get(language, "")
        return agreements.fingerprint(text) if text else ""


async def today_digest(project: Mapping[str, Any], info: rounds.Overview) -> tuple[str, budget.Shares]:
    """The SHA-256 of the project's shares as they stand: an agreement generated from other shares is void."""
    shares = await rounds.current_shares(project, info)
    lines = [(line.flat.flat_id, line.flat.unit, line.amount) for line in shares.table.lines] if shares.table else []
    return agreements.shares_digest(shares.terms, lines), shares


async def _versions(project_id: int) -> list[dict[str, Any]]:
    return await ProjectAgreement.select().where(ProjectAgreement.project == project_id).order_by(
        ProjectAgreement.version, ascending=False
    ).limit(2).output(load_json=True)


async def _signatures(agreement_id: int) -> list[dict[str, Any]]:
    return await AgreementSignature.select(
        *AgreementSignature.all_columns(), AgreementSignature.entered_by.display_name.as_alias("entered_name"),
        AgreementSignature.confirmed_by.display_name.as_alias("confirmed_name"),
    ).where(AgreementSignature.agreement == agreement_id).order_by(AgreementSignature.id)  # fmt: skip


def facts_of(signatures: list[dict[str, Any]]) -> list[SignatureFact]:
    return [
        SignatureFact(int(s["flat"]), int(s["person"]), s["channel"] == "online" or s["confirmed_at"] is not None)
        for s in signatures
    ]


async def agreement_view(ctx: ProjectContext, info: rounds.Overview | None = None) -> AgreementView:
    info = info or await rounds.overview(ctx.project)
    approved = info.state.status == "approved"
    versions = await _versions(ctx.id)
    if not versions:
        return AgreementView(approved, None)
    row = versions[0]
    sharers = agreements.sharers_from_json(row["sharers"])
    signatures = await _signatures(int(row["id"]))
    void = str(row["void_reason"] or "") if row["voided_at"] is not None else ""
    if not void and (await today_digest(ctx.project, info))[0] != row["shares_sha256"]:
        void = "shares_changed"  # said at once; the next generation stamps it on the row
    previous = None
    if len(versions) > 1:
        previous = dict(versions[1])
        previous["signature_count"] = int(
            await AgreementSignature.count().where(AgreementSignature.agreement == previous["id"])
        )
    return AgreementView(
        approved, row, sharers, row["texts"] or {}, agreements.progress(sharers, facts_of(signatures)),
        tuple(signatures), void, previous,
    )  # fmt: skip


async def _owners(flat_ids: list[int]) -> dict[int, tuple[int, ...]]:
    owners: dict[int, set[int]] = {}
    for o in await Ownership.select(Ownership.flat, Ownership.person).where(Ownership.flat.is_in(flat_ids or [-1])):
        owners.setdefault(int(o["flat"]), set()).add(int(o["person"]))
    return {flat: tuple(sorted(people)) for flat, people in owners.items()}


async def generate(ctx: ProjectContext, form: Mapping[str, Any]) -> int:
    """A facilitator generates the agreement of an approved project from its cost shares and publishes it.

    Generating again (the shares changed, or the owners on a title did) voids the signatures of the version
    before; when that version still matches the shares, only with an explicit confirmation.
    """
    assert ctx.user is not None
    info = await rounds.overview(ctx.project)
    if info.state.status != "approved":
        raise Conflict(NOT_APPROVED)
    digest, shares = await today_digest(ctx.project, info)
    if shares.table is None:
        raise Conflict(lazy("The cost shares cannot be computed, so no agreement can be generated."))
    versions = await _versions(ctx.id)
    latest = versions[0] if versions else None
    still_valid = latest is not None and latest["voided_at"] is None and latest["shares_sha256"] == digest
    if still_valid and str(form.get("confirm", "")) != "yes":
        raise FormErrors({"confirm": lazy("Tick the box to generate the agreement again and void its signatures.")})
    version = int(latest["version"]) + 1 if latest else 1
    owners = await _owners([line.flat.flat_id for line in shares.table.lines])
    sharers = tuple(
        Sharer(line.flat.flat_id, line.flat.unit, line.flat.floor, line.flat.area, line.amount, owners.get(line.flat.flat_id, ()))
        for line in shares.table.lines
    )
    moment = service.now()
    facts = AgreementFacts(str(ctx.project["title"]), str(ctx.project["scope_label"]), str(ctx.project["community_name"]),
                           version, moment.astimezone(store.tz()).date(), shares.terms, sharers)  # fmt: skip
    texts = agreements.texts(facts)
    try:
        async with write_transaction():
            if latest is not None and latest["voided_at"] is None:
                reason = "generated_again" if still_valid else "shares_changed"
                await ProjectAgreement.update({ProjectAgreement.voided_at: moment, ProjectAgreement.void_reason: reason}).where(
                    ProjectAgreement.id == latest["id"]
                )
                voided = int(await AgreementSignature.count().where(AgreementSignature.agreement == latest["id"]))
                await store.audit(ctx.community_id, ctx.user.id, "project_agreement_voided", ctx.id,
                                    {"version": latest["version"], "reason": reason, "signatures": voided})  # fmt: skip
            rows = await ProjectAgreement.insert(
                ProjectAgreement(project=ctx.id, version=version, terms=terms_to_json(shares.terms),
                                 sharers=agreements.sharers_to_json(sharers), shares_sha256=digest, texts=texts,
                                 started_by=ctx.user.id, started_at=moment)  # fmt: skip
            ).returning(ProjectAgreement.id)
            agreement_id = int(rows[0]["id"])
            content = {
                "schema": agreements.SCHEMA, "kind": "agreement", "project_id": ctx.id, "version": version,
                "replaces": int(latest["version"]) if latest else None, "terms": terms_to_json(shares.terms),
                "shares": [{"unit": s.unit, "amount": s.amount, "document": s.document} for s in sharers],
                "texts": texts,
                "fingerprints": {doc: {lang: agreements.fingerprint(t) for lang, t in by.items()} for doc, by in texts.items()},
            }  # fmt: skip
            _seq, sha = await publications.append(ctx.community_id, "agreement", content, published_at=moment,
                                published_by=ctx.user.id, title=f"{ctx.project['title']} · 费用分摊协议书（第{version}版）",
                                summary=str(ctx.project["title"]), buildings=_buildings(ctx))  # fmt: skip
            await ProjectAgreement.update({ProjectAgreement.published_sha256: sha}).where(ProjectAgreement.id == agreement_id)
            await store.audit(ctx.community_id, ctx.user.id, "project_agreement_generated", ctx.id,
                                {"version": version, "shares_sha256": digest, "publication": sha})  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(RACE) from exc
        raise
    return agreement_id


def _buildings(ctx: ProjectContext) -> list[str]:
    return [str(ctx.project["building_name"])] if ctx.project.get("building_name") else []


def _flat_id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


async def sign_online(ctx: ProjectContext, form: Mapping[str, Any]) -> None:
    """A verified owner, signed in, signs the text they were shown for one of their flats.

    Stored: the time, the account, the person on the title, and the SHA-256 of that exact text (Electronic
    Signature Law Art. 13: the signature is the signer's own and any change to the text can be detected).
    """
    assert ctx.user is not None
    view = await agreement_view(ctx)
    if not view.open or view.row is None:
        raise Conflict(NOT_OPEN)
    flat_id = _flat_id(str(form.get("flat", "") or "").strip())
    sharer = view.sharer(flat_id) if flat_id is not None else None
    if sharer is None:
        raise FormErrors({"flat": lazy("Please choose one of your flats in this agreement.")})
    links = [a for a in await attachments(ctx.user.id, ctx.community_id)
             if a.flat_id == sharer.flat_id and a.relation == "owner" and a.verified]  # fmt: skip
    if not links:
        raise Forbidden(lazy("Only a verified owner of this flat can sign for it. Ask the residents' committee to verify your link to the flat."))
    person = next((a.person_id for a in links if agreements.may_sign(sharer, a.person_id)), None)
    if person is None:
        raise Forbidden(lazy("You were not on this flat's title when the agreement was generated. Ask the residents' committee."))
    language = str(form.get("language", "") or "")
    if language not in agreements.LANGUAGES:
        language = get_language()
    if str(form.get("confirm", "")) != "yes":
        raise FormErrors({"confirm": lazy("Please tick the box to confirm that you have read the text and sign it yourself.")})
    expected = view.fingerprint(sharer.document, language)
    if not expected or str(form.get("text_sha256", "")) != expected:
        raise Conflict(lazy("The text has changed since you opened it. Please read it again before signing."))
    moment = service.now()
    try:
        async with write_transaction():
            await AgreementSignature.insert(
                AgreementSignature(agreement=view.row["id"], flat=sharer.flat_id, person=person, document=sharer.document,
                                   channel="online", language=language, text_sha256=expected, account=ctx.user.id,
                                   signed_at=moment)  # fmt: skip
            )
            await store.audit(ctx.community_id, ctx.user.id, "project_agreement_signed", ctx.id,
                                {"version": view.row["version"], "flat": sharer.flat_id, "person": person,
                                 "channel": "online", "text_sha256": expected, "language": language})  # fmt: skip
            await _complete_if_done(ctx, view.row, moment)
    except Exception as exc:
        if is_unique_violation(exc):
            raise Conflict(lazy("You have already signed for this flat.")) from exc
        raise


async def enter_paper(ctx: ProjectContext, form: Mapping[str, Any], scan: bytes | None) -> None:
    """A staff member enters a signature given on paper, with the scan; it counts once another confirms it."""
    assert ctx.user is not None
    view = await agreement_view(ctx)
    if not view.open or view.row is None:
        raise Conflict(NOT_OPEN)
    values = {name: str(form.get(name, "") or "").strip() for name in ("owner", "signed_on")}
    errors: dict[str, str] = {}
    flat_text, _sep, person_text = values["owner"].partition(":")
    flat_id, person = _flat_id(flat_text), _flat_id(person_text)
    sharer = view.sharer(flat_id) if flat_id is not None else None
    if sharer is None or person is None or not agreements.may_sign(sharer, person):
        errors["owner"] = lazy("Please choose an owner of a flat in this agreement.")
    today = service.now().astimezone(store.tz()).date()
    started = view.row["started_at"].astimezone(store.tz()).date()
    day = form_date(values["signed_on"]) if values["signed_on"] else today
    if day is None:
        errors["signed_on"] = lazy("Enter a date, such as 2026-12-01.")
    elif day > today:
        errors["signed_on"] = lazy("The date cannot be in the future.")
    elif day < started:
        errors["signed_on"] = lazy("The date cannot be before this version of the agreement was generated.")
    try:
        cleaned = clean_scan(scan or b"")
    except ScanRefused as refused:
        errors["scan"] = refused.message
    if errors:
        raise FormErrors(errors, values)
    assert sharer is not None and person is not None and isinstance(day, date)
    text_sha = view.fingerprint(sharer.document, "zh")  # the paper copy is printed in Chinese
    try:
        async with write_transaction():
            rows = await AgreementSignature.insert(
                AgreementSignature(agreement=view.row["id"], flat=sharer.flat_id, person=person, document=sharer.document,
                                   channel="paper", language="zh", text_sha256=text_sha, signed_at=store.day_start(day),
                                   entered_by=ctx.user.id)  # fmt: skip
            ).returning(AgreementSignature.id)
            await AgreementScan.insert(AgreementScan(signature=rows[0]["id"], content_type=cleaned.content_type,
                                                     sha256=cleaned.sha256, data=cleaned.data))  # fmt: skip
            await store.audit(ctx.community_id, ctx.user.id, "project_agreement_paper_entered", ctx.id,
                                {"version": view.row["version"], "flat": sharer.flat_id, "person": person,
                                 "signature": rows[0]["id"], "scan_sha256": cleaned.sha256})  # fmt: skip
    except Exception as exc:
        if is_unique_violation(exc):
            raise FormErrors({"owner": ALREADY_SIGNED}, values) from exc
        raise


async def _signature(ctx: ProjectContext, signature_id: int) -> dict[str, Any]:
    """A signature of this project's agreement (any version), or not found."""
    row = await AgreementSignature.select(
        *AgreementSignature.all_columns(), AgreementSignature.agreement.project.as_alias("project")
    ).where((AgreementSignature.id == signature_id) & (AgreementSignature.agreement.project == ctx.id)).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


async def review_paper(ctx: ProjectContext, signature_id: int, form: Mapping[str, Any]) -> None:
    """A second staff member confirms a paper signature against its scan, or rejects it (it is removed)."""
    assert ctx.user is not None
    row = await _signature(ctx, signature_id)
    view = await agreement_view(ctx)
    if not view.open or view.row is None or row["agreement"] != view.row["id"]:
        raise Conflict(NOT_OPEN)
    if row["channel"] != "paper" or row["confirmed_at"] is not None:
        raise Conflict(lazy("This signature is already confirmed."))
    if row["entered_by"] == ctx.user.id:
        raise Forbidden(lazy("A paper signature is confirmed by a second staff member, not by the one who entered it."))
    decision = str(form.get("decision", "") or "")
    if decision not in ("confirm", "reject"):
        raise FormErrors({f"s{signature_id}-decision": lazy("Please choose one of the offered values.")})
    moment = service.now()
    async with write_transaction():
        if decision == "reject":
            await AgreementSignature.delete().where(AgreementSignature.id == signature_id)
        else:
            done = await AgreementSignature.update(
                {AgreementSignature.confirmed_by: ctx.user.id, AgreementSignature.confirmed_at: moment}
            ).where((AgreementSignature.id == signature_id) & AgreementSignature.confirmed_at.is_null()).returning(
                AgreementSignature.id
            )
            if not done:
                raise Conflict(lazy("This signature is already confirmed."))
        await store.audit(ctx.community_id, ctx.user.id, f"project_agreement_paper_{decision}ed", ctx.id,
                            {"version": view.row["version"], "signature": signature_id, "flat": row["flat"],
                             "person": row["person"]})  # fmt: skip
        if decision == "confirm":
            await _complete_if_done(ctx, view.row, moment)


async def scan_of(ctx: ProjectContext, signature_id: int) -> dict[str, Any]:
    await _signature(ctx, signature_id)
    scan = await AgreementScan.select(AgreementScan.content_type, AgreementScan.data).where(
        AgreementScan.signature == signature_id
    ).first()
    if scan is None:
        raise NotFound(NOT_FOUND)
    return scan


async def _complete_if_done(ctx: ProjectContext, row: Mapping[str, Any], moment: Any) -> None:
    """Inside the signing transaction: once every owner of every flat has signed, publish that, once."""
    sharers = agreements.sharers_from_json(row["sharers"])
    signed = agreements.progress(sharers, facts_of(await _signatures(int(row["id"]))))
    if not signed.complete:
        return
    done = await ProjectAgreement.update({ProjectAgreement.completed_at: moment}).where(
        (ProjectAgreement.id == row["id"]) & ProjectAgreement.completed_at.is_null()
    ).returning(ProjectAgreement.id)
    if not done:
        return
    content = {
        "schema": agreements.SCHEMA, "kind": "agreement_done", "project_id": ctx.id,
        "version": int(row["version"]), "agreement": str(row["published_sha256"]),
        "flats": {"agreement": signed.agreement.flats, "no_objection": signed.no_objection.flats},
        "terms": terms_to_json(terms_from_json(row["terms"] or {})),
    }  # fmt: skip
    _seq, sha = await publications.append(ctx.community_id, "agreement_done", content, published_at=moment, published_by=None,
                        title=f"{ctx.project['title']} · 费用分摊协议书已全部签署", summary=str(ctx.project["title"]),
                        buildings=_buildings(ctx))  # fmt: skip
    await ProjectAgreement.update({ProjectAgreement.completed_sha256: sha}).where(ProjectAgreement.id == row["id"])
    await store.audit(ctx.community_id, None, "project_agreement_complete", ctx.id,
                        {"version": row["version"], "publication": sha})  # fmt: skip
