"""Reads of the bulletins: the published weeks' bulletins a user may read, the office's templates, and the
published rounds still waiting for their bulletin."""

from django.db.models import QuerySet

from dudao.bulletins.access import can_read_bulletins
from dudao.bulletins.models import Bulletin, BulletinTemplate, TemplateTrial
from dudao.ranking import lifecycle
from dudao.ranking.models import Round, RoundStatus


def bulletins_visible_to(user, campaign) -> QuerySet[Bulletin]:
    if not can_read_bulletins(user):
        return Bulletin.objects.none()
    return Bulletin.objects.filter(campaign=campaign, round__status__in=lifecycle.PUBLISHED_ONCE)


def bulletin_for_week(user, campaign, week: str) -> Bulletin | None:
    """The bulletin of the week's latest published revision."""
    return bulletins_visible_to(user, campaign).filter(week=week).order_by("-revision").first()


def bulletin_digest(round_: Round) -> str | None:
    """The content digest of the round's bulletin, if it has one."""
    return Bulletin.objects.filter(round=round_).values_list("content_digest", flat=True).first()


def active_template(campaign) -> BulletinTemplate | None:
    return BulletinTemplate.objects.filter(campaign=campaign, active=True).first()


def latest_trial(campaign) -> TemplateTrial | None:
    """The campaign's latest uploaded template trial (checking, accepted or refused), for the template page."""
    return TemplateTrial.objects.filter(campaign=campaign).defer("data").first()


def template_history(campaign, limit: int = 50) -> QuerySet[BulletinTemplate]:
    return BulletinTemplate.objects.filter(campaign=campaign).defer("data")[:limit]


def rounds_without_bulletin(campaign, limit: int = 20) -> list[Round]:
    """Published rounds whose bulletin has not been made (yet, or because the template failed on them)."""
    return list(Round.objects.filter(campaign=campaign, status=RoundStatus.PUBLISHED, bulletin__isnull=True)
                .order_by("-week_start")[:limit])
