"""What project templates need besides data: money and exact figures in the reader's locale, labels, rendering."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from community import i18n, templating
from community.config import get_config
from votes.matters import MATTERS, OUTCOME_LABELS, STATUS_LABELS, threshold_sentence
from votes.participation import percent_text
from votes.projects import diagram, kinds, lifecycle, terms


def money(fen: int) -> str:
    """¥ amounts: 8720930 → "87,209.30"."""
    return i18n.format_number(Decimal(fen).scaleb(-2), decimals=2)


def exact_money(value_fen: Fraction | None, places: int = 4) -> str:
    """An exact share or rate in yuan, cut to `places` decimals with "…" when not exact."""
    if value_fen is None:
        return ""
    value, exact = terms.fraction_decimal(value_fen / 100, places)
    text = i18n.format_number(value, decimals=places)
    return text if exact else text + "…"


def plain(value: Fraction | Decimal | int) -> str:
    return terms.plain_decimal(Fraction(value))


def local_day(value: datetime | None) -> str:
    """A stored moment as the community's calendar day, for a date input."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(get_config().timezone)).date().isoformat()


def options(labels: dict[str, str]) -> list[tuple[str, str]]:
    """(value, translated label) pairs for a select, in the reader's language."""
    return [(value, i18n.gettext(label)) for value, label in labels.items()]


def matter_options() -> list[tuple[str, str]]:
    return [(str(n), f"{n} — {i18n.gettext(matter_name(n))}") for n in kinds.PROJECT_MATTERS]


def matter_name(number: int | None) -> str:
    return MATTERS[number].name if number in MATTERS else ""


HELPERS: dict[str, Any] = {
    "money": money,
    "exact_money": exact_money,
    "plain": plain,
    "matter_name": matter_name,
    "local_day": local_day,
    "options": options,
    "matter_options": matter_options,
    "WITHDRAWN_ONLINE": kinds.WITHDRAWN_ONLINE,
    "threshold_sentence": threshold_sentence,
    "KIND_LABELS": kinds.KIND_LABELS,
    "SCHEME_LABELS": terms.SCHEME_LABELS,
    "SCHEME_EXPLANATIONS": terms.SCHEME_EXPLANATIONS,
    "STATUS_LABELS": lifecycle.STATUS_LABELS,
    "CONSENT_LABELS": kinds.CONSENT_LABELS,
    "CONSENT_METHODS": kinds.CONSENT_METHODS,
    "AFFECTS": kinds.AFFECTS,
    "OBJECTION_CHANNELS": kinds.OBJECTION_CHANNELS,
    "STEP_KINDS": kinds.STEP_KINDS,
    "OBJECTION_STATUS_LABELS": kinds.OBJECTION_STATUS_LABELS,
    "CONSENT_SYMBOLS": diagram.CONSENT_SYMBOLS,
    "SYMBOLS": diagram.SYMBOLS,
    "STATE_LABELS": diagram.STATE_LABELS,
    "BAR_LABELS": diagram.BAR_LABELS,
    "BAR_SHORT": diagram.BAR_SHORT,
    "DIAGRAM": diagram,
    "percent_text": percent_text,
    "PROJECT_MATTERS": kinds.PROJECT_MATTERS,
    "VOTE_STATUS_LABELS": STATUS_LABELS,
    "OUTCOME_LABELS": OUTCOME_LABELS,
}

def render(template: str, **context: Any) -> str:
    """A fragment in the current language; it carries no forms, so no CSRF field is needed."""
    return templating.environment().get_template(template).render(csrf_input="", **HELPERS, **context)
