"""The demo's bulletins: one for every published week, made the way the worker would make them."""

from dudao.accounts.access import SYSTEM
from dudao.bulletins.models import Bulletin
from dudao.bulletins.services import bulletin_generate
from dudao.ranking.models import Round


def load(campaign, *, stderr=None) -> int:
    """Make the bulletins of the campaign's published weeks that have none yet; returns how many were made."""
    made = 0
    rounds = (Round.objects.filter(campaign=campaign, status="published").exclude(
        pk__in=Bulletin.objects.values("round_id")).select_related("campaign").order_by("week_start"))
    for round_ in rounds:
        bulletin_generate(actor=SYSTEM, round_=round_)
        made += 1
        if stderr is not None:
            stderr.write(f"bulletin {round_.week}\n")
    return made
