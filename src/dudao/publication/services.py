"""Publishing a weekly round, the one act that starts accountability (docs/decisions/0008-layers.md), and the
office's reminder to the townships that have not handed in their ranking.

In one transaction: the round is checked and locked (dudao.ranking), the interviews it calls for are stored
(dudao.interviews), the round is marked published and audit-logged with them, its bulletin is queued
(dudao.bulletins) and its villages, townships, leaders and their group robots are told (the outbox of
dudao.notifications). A request for publication (four eyes) is this module's too: the leaders and the office
hear that the round awaits approval. The round knows nothing of what publishing it causes: this module does, and
nothing below it calls up here.
"""

from django.db import transaction
from django.utils import timezone

from dudao.bulletins.services import bulletin_on_publish
from dudao.interviews.services import interviews_create_for_round
from dudao.org.models import Unit
from dudao.publication.notices import remind_towns, round_awaiting_approval, round_published, round_published_to_leaders
from dudao.ranking.models import Round
from dudao.ranking.selectors import deadline, round_live
from dudao.ranking.services import (
    Publishing,
    publishing_begin,
    publishing_finish,
    ranking_request_publication,
    reminders_record,
)


@transaction.atomic
def round_publish(*, actor, campaign, week: str, reason: str = "", confirmed: bool = True) -> Round:
    """Publish directly: the command line, or the web when the settings turn four eyes off (the page passes its
    confirmation). While townships have not submitted, ``reason`` is required (ranking.services.publishing_begin)."""
    return _publish(actor, publishing_begin(actor=actor, campaign=campaign, week=week, approve=False,
                                            reason=reason, confirmed=confirmed))


@transaction.atomic
def round_approve(*, actor, campaign, week: str, confirmed: bool = False, reason: str = "") -> Round:
    """The second office user's approval of a requested publication publishes the round; refused unless
    ``confirmed`` (the page's confirmation names the week and its counts)."""
    return _publish(actor, publishing_begin(actor=actor, campaign=campaign, week=week, approve=True,
                                            reason=reason, confirmed=confirmed))


@transaction.atomic
def round_request(*, actor, campaign, week: str, reason: str = "") -> Round:
    """The office asks for publication (four eyes): the round awaits approval, and the leaders and the other
    office users are told so. While townships have not submitted, ``reason`` is required."""
    round_ = ranking_request_publication(actor=actor, campaign=campaign, week=week, reason=reason)
    round_awaiting_approval(round_, actor)
    return round_


def _publish(actor, publishing: Publishing) -> Round:
    interviews = interviews_create_for_round(actor=actor, round_=publishing.round)
    round_ = publishing_finish(actor=actor, publishing=publishing, audit={
        "interviews": len(interviews), "vacant": sum(1 for i in interviews if i.vacant)})
    bulletin_on_publish(round_)
    round_published(round_)
    round_published_to_leaders(round_)
    return round_


@transaction.atomic
def towns_remind(*, actor, campaign, week: str) -> list[Unit]:
    """The office reminds every active township that has not submitted its ranking for the week: the reminder
    shows on the township's submission page, and its staff and group robots are told (as the periodic check
    near the deadline does). The townships reminded."""
    towns = reminders_record(actor=actor, campaign=campaign, week=week)
    round_ = round_live(campaign, week)
    if towns and round_ is not None:
        now = timezone.now()
        remind_towns(week=week, due=deadline(round_), towns=towns,
                     key=f"ranking_remind:{campaign.slug}:{week}:{now.isoformat()}", now=now)
    return towns
