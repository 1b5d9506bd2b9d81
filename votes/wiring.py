"""What the votes package (with its projects) adds to a running Yishi: routes, event subscribers, the live
vote channel, and its contributions to meetings (projector panels, agenda links, notices, minutes)."""

from __future__ import annotations

from typing import Any


def register() -> list[Any]:
    """Called once by the composition root (`app.wiring`); returns the package's route handlers.

    Whoever closes a vote — a facilitator's request, the vote clock, `yishi demo` — runs the same
    subscribers, because every process registers them here before doing anything.
    """
    from community import events, posting_store
    from community import live as app_live
    from community.admin.web import register_community_objects
    from community.roster.upcoming import register_upcoming_source
    from deliberation.contributions import register_item_link_source
    from deliberation.panels import register_projector_panel
    from votes import live, posting_targets, services
    from votes.canvass_controllers import ROUTES as CANVASS_ROUTES
    from votes.closing import ROUTES as CLOSING_ROUTES
    from votes.controllers import ROUTES
    from votes.delivery_controllers import ROUTES as DELIVERY_ROUTES
    from votes.events import BallotCast, VoteClosed, VoteOpened
    from votes.paper_controllers import ROUTES as PAPER_ROUTES
    from votes.projects import public
    from votes.projects.controllers import ROUTES as PROJECT_ROUTES
    from votes.projects.tables import Project
    from votes.projects.works_controllers import ROUTES as WORKS_ROUTES
    from votes.proxy_controllers import ROUTES as PROXY_ROUTES
    from votes.proxy_invites import on_vote_closed as expire_proxy_invites
    from votes.record_controllers import ROUTES as RECORD_ROUTES
    from votes.tables import Vote
    from votes.upcoming import open_votes

    app_live.register_channel("vote", live._authorize, live._snapshot)
    register_projector_panel(live.projector_panel)
    register_item_link_source("votes", services.agenda_item_links)
    events.subscribe(BallotCast, live.on_ballot_cast)
    events.subscribe(VoteOpened, live.on_vote_opened_or_closed)
    events.subscribe(VoteClosed, live.on_vote_opened_or_closed)
    events.subscribe(VoteClosed, expire_proxy_invites)
    register_community_objects("v", Vote)  # an archived community refuses changes at these addresses too
    register_community_objects("p", Project)
    register_upcoming_source("votes", open_votes)  # on "my flats"
    public.register()
    posting_store.register_target("vote_notice", posting_targets.vote_notice)  # proofs of posting
    posting_store.register_target("project_notice", posting_targets.project_notice)
    return [*ROUTES, *CANVASS_ROUTES, *RECORD_ROUTES, *CLOSING_ROUTES, *PAPER_ROUTES, *DELIVERY_ROUTES, *PROXY_ROUTES, *PROJECT_ROUTES,
            *WORKS_ROUTES]
