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
