"""What the votes package (with its projects) adds to a running Yishi: routes, event subscribers, the live
vote channel, ballot extras. What votes show on meetings' pages (agenda links, projector panels, notices,
minutes) is plugged in by deliberation, the floor above (`deliberation.wiring`)."""

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
    from votes import live, posting_targets
    from votes.canvass_controllers import ROUTES as CANVASS_ROUTES
    from votes.closing import ROUTES as CLOSING_ROUTES
    from votes.controllers import ROUTES
    from votes.delivery_controllers import ROUTES as DELIVERY_ROUTES
    from votes.edit_controllers import ROUTES as EDIT_ROUTES
    from votes.events import BallotCast, VoteClosed, VoteOpened
    from votes.paper_controllers import ROUTES as PAPER_ROUTES
    from votes.projects import public
    from votes.projects.agreement_controllers import ROUTES as AGREEMENT_ROUTES
    from votes.projects.controllers import ROUTES as PROJECT_ROUTES
    from votes.projects.funding_controllers import ROUTES as FUNDING_ROUTES
    from votes.projects.objection_controllers import ROUTES as OBJECTION_ROUTES
    from votes.projects.tables import Project
    from votes.projects.works_controllers import ROUTES as WORKS_ROUTES
    from votes.proxy_controllers import ROUTES as PROXY_ROUTES
    from votes.proxy_invites import on_vote_closed as expire_proxy_invites
    from votes.query_controllers import ROUTES as QUERY_ROUTES
    from votes.record_controllers import ROUTES as RECORD_ROUTES
    from votes.tables import Vote
    from votes.upcoming import open_votes

    app_live.register_channel("vote", live._authorize, live._snapshot)
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
    posting_store.register_target("result_preliminary", posting_targets.result_preliminary)
    posting_store.register_target("result_final", posting_targets.result_final)
    return [*ROUTES, *EDIT_ROUTES, *CANVASS_ROUTES, *RECORD_ROUTES, *CLOSING_ROUTES, *PAPER_ROUTES, *DELIVERY_ROUTES,
            *PROXY_ROUTES, *QUERY_ROUTES, *PROJECT_ROUTES, *OBJECTION_ROUTES, *AGREEMENT_ROUTES, *FUNDING_ROUTES,
            *WORKS_ROUTES]
