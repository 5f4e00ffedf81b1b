from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field


class Checklist(models.Model):
    """One version of a checklist (评分细则). Versions are never changed: an edit is a new version, and every
    inspection keeps the version it was scored with. The county's checklist (town empty) feeds the weekly
    inspection ranking; a township's own work-method checklist is for its own inspections."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="checklists")
    key = models.SlugField(_("key"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=100)
    town = models.ForeignKey("org.Unit", verbose_name=_("township"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    critical_cap = models.FloatField(_("score cap after a critical failure"), default=60.0)
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField()
    created_by = actor_field()
    created_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["campaign", "key", "-version"]
        constraints = [models.UniqueConstraint(fields=["campaign", "key", "version"], name="checklist_version")]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class ChecklistItem(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    section = models.CharField(_("section"), max_length=40)
    text = models.CharField(_("item"), max_length=200)
    max_points = models.FloatField(_("points"))
    weight = models.FloatField(_("weight"), default=1.0)
    critical = models.BooleanField(_("critical"), default=False)
    allow_na = models.BooleanField(_("may be not applicable"), default=False)
    # The problem category a lost point raises by default.
    category = models.ForeignKey("problems.Category", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")

    class Meta:
        ordering = ["checklist", "position"]
        constraints = [models.UniqueConstraint(fields=["checklist", "position"], name="checklist_item_position")]

    def __str__(self) -> str:
        return self.text


class Inspection(models.Model):
    """One on-site inspection of a village, scored against one checklist version."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    checklist = models.ForeignKey(Checklist, on_delete=models.PROTECT, related_name="inspections")
    village = models.ForeignKey("org.Unit", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    inspected_at = models.DateTimeField(_("inspected at"))
    received_at = models.DateTimeField(_("received at"))
    week = models.CharField(_("week"), max_length=8, db_index=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    distance_m = models.FloatField(null=True, blank=True)
    warnings = models.JSONField(default=list)
    score = models.FloatField(_("score"))
    critical_failed = models.BooleanField(default=False)
    capped = models.BooleanField(default=False)
    note = models.TextField(_("note"), blank=True)
    # Whether the score counts in the week's inspection ranking (county checklist, week not yet published).
    counts = models.BooleanField(default=True)
    client_key = models.CharField(max_length=64, null=True, blank=True)
    photos = models.ManyToManyField("photos.Photo", blank=True, related_name="inspections")

    class Meta:
        ordering = ["-inspected_at"]
        constraints = [models.UniqueConstraint(fields=["inspector", "client_key"], name="inspection_client_key")]
        indexes = [models.Index(fields=["campaign", "week", "village"])]


class ItemScore(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="+")
    points = models.FloatField(null=True, blank=True)  # None: not applicable
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["inspection", "item__position"]
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="item_score_unique")]
