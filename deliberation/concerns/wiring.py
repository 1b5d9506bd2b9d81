"""What the concerns package adds to a running Yishi: its routes, its entries on the notice board (the monthly
summaries), the link from an agenda item to the concerns behind it, and archived communities refusing changes."""

from __future__ import annotations

from typing import Any


def register() -> list[Any]:
    """Called once by deliberation.wiring; returns the package's route handlers."""
    from community.admin.web import register_community_objects
    from deliberation.concerns import reports, topics
    from deliberation.concerns.tables import Concern
    from deliberation.concerns.web import ROUTES
    from deliberation.concerns.web_public import ROUTES as PUBLIC_ROUTES
    from deliberation.contributions import register_item_link_source, register_notice_source

    register_notice_source("concerns", reports.notice_entries, reports.NOTICE_READ)
    register_item_link_source("concerns", topics.item_links, topics.ITEM_LINK_READ)
    register_community_objects("concerns", Concern)
    return [*ROUTES, *PUBLIC_ROUTES]
