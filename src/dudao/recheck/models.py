from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field

DEFAULT_THRESHOLD = 10.0


class RecheckSettings(models.Model):
    """The campaign's setting for the audit groups' re-inspections: how far (in points, on the 0–100 score) a
    township group's mean difference from the re-inspections may drift before the report flags it."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.PROTECT, related_name="recheck_settings")
    threshold = models.FloatField(_("drift threshold (points)"), default=DEFAULT_THRESHOLD)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = actor_field()
    updated_by_label = models.CharField(max_length=150, blank=True)


class Draw(models.Model):
    """One week's random sample of inspected villages for an audit group to inspect again. The seed, the candidates
    (sorted village codes) and the size are recorded, so anyone can redo the draw (recheck.sampling). A redraw (with a
    reason) replaces the week's current draw, which is kept, marked replaced."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    week = models.CharField(_("week"), max_length=8)
    group = models.ForeignKey("org.WorkingGroup", verbose_name=_("audit group"), on_delete=models.PROTECT,
                              related_name="+")
    seed = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("sample size"))
    candidates = models.JSONField(default=list)
    sample = models.JSONField(default=list)
    current = models.BooleanField(default=True)
    reason = models.TextField(_("reason for the redraw"), blank=True)
    drawn_at = models.DateTimeField()
    drawn_by = actor_field()
    drawn_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-week", "-drawn_at"]
        constraints = [models.UniqueConstraint(fields=["campaign", "week"], condition=Q(current=True),
                                               name="recheck_one_current_draw")]

    def __str__(self) -> str:
        return f"{self.week} ({self.group})"


class Recheck(models.Model):
    """An audit group's re-inspection of a sampled village, scored against the county checklist like an inspection
    but kept apart from inspections.Inspection: it never counts in a ranking."""

    draw = models.ForeignKey(Draw, on_delete=models.PROTECT, related_name="rechecks")
    village = models.ForeignKey("org.Unit", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    checklist = models.ForeignKey("inspections.Checklist", on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    inspected_at = models.DateTimeField(_("inspected at"))
    score = models.FloatField(_("score"))
    critical_failed = models.BooleanField(default=False)
    capped = models.BooleanField(default=False)
    marks = models.JSONField(default=list)  # [[item id, points or null], …]
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["draw", "village__code"]
        constraints = [models.UniqueConstraint(fields=["draw", "village"], name="recheck_once_per_village")]
