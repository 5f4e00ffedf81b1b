import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field
from dudao.ranking import lifecycle


class SourceName(models.TextChoices):
    TOWN = "town", _("township ranking")
    INSPECTION = "inspection", _("inspection ranking")
    DRONE = "drone", _("drone ranking")


# The three sources in the order every table, export and engine call lists them.
SOURCES: list[str] = [SourceName.TOWN, SourceName.INSPECTION, SourceName.DRONE]


class Tier(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


class RankingSettings(models.Model):
    """One version of a campaign's ranking settings. Versions are never changed: a change is a new version,
    and every round keeps the version it was computed with."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="ranking_settings")
    version = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(auto_now_add=True)
    weight_town = models.FloatField(_("weight of the township ranking"), default=1.0)
    weight_inspection = models.FloatField(_("weight of the inspection ranking"), default=1.0)
    weight_drone = models.FloatField(_("weight of the drone ranking"), default=1.0)
    green_count = models.PositiveIntegerField(_("green places"), default=30)
    red_count = models.PositiveIntegerField(_("red places"), default=30)
    green_label = models.CharField(_("label of green"), max_length=20, default="绿")
    yellow_label = models.CharField(_("label of yellow"), max_length=20, default="黄")
    red_label = models.CharField(_("label of red"), max_length=20, default="红")
    green_colour = models.CharField(_("colour of green"), max_length=7, default="#1b7f3b")
    yellow_colour = models.CharField(_("colour of yellow"), max_length=7, default="#b58900")
    red_colour = models.CharField(_("colour of red"), max_length=7, default="#c0392b")
    escalation_threshold = models.PositiveIntegerField(_("reds in a row that escalate"), default=2)
    deadline_weekday = models.PositiveSmallIntegerField(_("submission deadline weekday (1 = Monday)"), default=5)
    deadline_time = models.TimeField(_("submission deadline time"), default=dt.time(12, 0))
    red_needs_independent = models.BooleanField(
        _("a village cannot be red on township data alone"), default=False)
    four_eyes = models.BooleanField(_("publishing needs a second office user's approval"), default=True)
    agreement_weeks = models.PositiveSmallIntegerField(_("weeks pooled for the agreement check"), default=6)
    # A township whose own ranking agrees less than this with the independent sources (Kendall's tau-b) is flagged,
    # whatever the other townships do: its list alone sets the tier of the villages nobody else covers.
    agreement_threshold = models.FloatField(_("agreement below which a township is flagged (tau-b)"), default=0.7)

    class Meta:
        ordering = ["campaign", "-version"]
        constraints = [models.UniqueConstraint(fields=["campaign", "version"], name="ranking_settings_version")]

    def __str__(self) -> str:
        return f"{self.campaign} v{self.version}"

    def weights(self) -> dict[str, float]:
        return {"town": self.weight_town, "inspection": self.weight_inspection, "drone": self.weight_drone}


class RoundStatus(models.TextChoices):
    """The round's lifecycle (lifecycle.py holds the transition table)."""

    COLLECTING = lifecycle.COLLECTING, _("collecting")
    COMPUTED = lifecycle.COMPUTED, _("computed (draft)")
    PENDING = lifecycle.PENDING, _("awaiting approval")
    PUBLISHED = lifecycle.PUBLISHED, _("published")
    SUPERSEDED = lifecycle.SUPERSEDED, _("superseded by a revision")


class Round(models.Model):
    """One week's ranking of a campaign. A published round is immutable; a correction is a new revision."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="rounds")
    week = models.CharField(_("week"), max_length=8)
    week_start = models.DateField(_("week start"))
    revision = models.PositiveIntegerField(_("revision"), default=1)
    status = models.CharField(_("status"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.COLLECTING)
    settings = models.ForeignKey(RankingSettings, on_delete=models.PROTECT, related_name="+")
    revision_reason = models.TextField(_("reason for the revision"), blank=True)
    # Why the office published while townships had not submitted their own ranking (required then, printed in the
    # bulletin); empty when every township had submitted.
    publish_reason = models.TextField(_("reason for publishing with townships missing"), blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    requested_by = actor_field()
    requested_by_label = models.CharField(max_length=150, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = actor_field()
    published_by_label = models.CharField(max_length=150, blank=True)
    approved_by = actor_field()
    approved_by_label = models.CharField(max_length=150, blank=True)
    result_digest = models.CharField(max_length=64, blank=True)
    # The inspection source comes from field inspections (dudao.inspections) and is not uploaded by hand.
    inspection_from_field = models.BooleanField(default=False)
    # The drone source comes from the drone photos scored in Dudao (dudao.drone).
    drone_from_photos = models.BooleanField(default=False)

    class Meta:
        ordering = ["campaign", "week_start", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "week", "revision"], name="round_week_revision"),
            # At most one live (not superseded) round per week: the revision people see.
            models.UniqueConstraint(fields=["campaign", "week"], condition=~Q(status="superseded"),
                                    name="round_one_live_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.week} r{self.revision}"


class Entry(models.Model):
    """One source's rank or score for one village in a round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="entries")
    source = models.CharField(max_length=12, choices=SourceName.choices)
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveIntegerField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "source", "unit"], name="entry_unique"),
            models.CheckConstraint(
                condition=(Q(rank__isnull=True) & Q(score__isnull=False))
                | (Q(rank__isnull=False) & Q(score__isnull=True)),
                name="entry_rank_xor_score",
            ),
        ]


class Submission(models.Model):
    """Who delivered a source (for the township source: one township's part) and when."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="submissions")
    source = models.CharField(max_length=12, choices=SourceName.choices)
    town = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    submitted_by = actor_field()
    submitted_by_label = models.CharField(max_length=150)
    submitted_at = models.DateTimeField()
    late = models.BooleanField(default=False)
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["round", "source", "town__code"]


class Result(models.Model):
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    composite = models.FloatField(null=True)
    position = models.PositiveIntegerField(null=True)
    tier = models.CharField(max_length=6, choices=Tier.choices, blank=True)
    red_streak = models.PositiveIntegerField(default=0)
    escalated = models.BooleanField(default=False)
    r_town = models.FloatField(null=True)
    r_inspection = models.FloatField(null=True)
    r_drone = models.FloatField(null=True)
    p_town = models.FloatField(null=True)
    p_inspection = models.FloatField(null=True)
    p_drone = models.FloatField(null=True)
    # Tier forced up from red by the "not red on township data alone" rule.
    capped = models.BooleanField(default=False)

    class Meta:
        ordering = ["round", "position", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="result_unique")]


class Reminder(models.Model):
    """The office's reminder to a township that has not submitted its ranking for the week."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reminders")
    town = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    sent_by = actor_field()
    sent_by_label = models.CharField(max_length=150)
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "town__code", "-sent_at"]


class RoundChecks(models.Model):
    """The checks of a round once published (agreement, sensitivity, coverage), computed once and kept: the round
    cannot change any more. ``window`` is the rounds the agreement pooled; a correction published for one of them
    makes the kept checks stale and they are computed again (ranking.checks.round_checks)."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="kept_checks")
    revision = models.PositiveIntegerField()
    window = models.JSONField(default=list)
    data = models.JSONField(default=dict)
    computed_at = models.DateTimeField()
