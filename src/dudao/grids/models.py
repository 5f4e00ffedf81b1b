from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field


class Patrol(models.Model):
    """A grid person's daily round (巡查): a check-in with its time and place, in one of their grids."""

    grid = models.ForeignKey("org.Unit", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    by = actor_field()
    by_label = models.CharField(max_length=150)
    at = models.DateTimeField(_("time"), db_index=True)
    lat = models.FloatField()
    lon = models.FloatField()
    accuracy_m = models.FloatField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("round of the grid")
        verbose_name_plural = _("rounds of the grid")


class Household(models.Model):
    """A household of a grid (庭院: its courtyard is what the cleaner checks): a label the village uses (a house
    number, 3组12号) and, optionally, the head's name. Personal data: shown to the grid's people and the village's
    staff only, never on a public page."""

    grid = models.ForeignKey("org.Unit", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    label = models.CharField(_("house number"), max_length=40)
    head_name = models.CharField(_("head of household"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = actor_field()
    created_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["grid", "label"]
        constraints = [models.UniqueConstraint(fields=["grid", "label"], name="household_grid_label")]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.label


class CourtyardResult(models.TextChoices):
    CLEAN = "clean", _("clean")
    NEEDS_WORK = "needs_work", _("needs work")


class CourtyardCheck(models.Model):
    """A cleaner's mark of a household's courtyard on their round: clean, or needs work (with a photo). A clean
    mark after one that needed work is the household's improvement (grids.courtyards)."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="checks")
    by = actor_field()
    by_label = models.CharField(max_length=150)
    at = models.DateTimeField(_("time"))
    result = models.CharField(_("result"), max_length=10, choices=CourtyardResult.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    photo = models.ForeignKey("photos.Photo", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["household", "at"], name="courtyard_household_at")]
        verbose_name = _("courtyard check")
        verbose_name_plural = _("courtyard checks")
