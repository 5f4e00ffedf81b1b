from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field
from dudao.notices import lifecycle


class Status(models.TextChoices):
    PUBLISHED = lifecycle.PUBLISHED, _("published")
    WITHDRAWN = lifecycle.WITHDRAWN, _("withdrawn")


class Notice(models.Model):
    """A document the office publishes on the portal (/public/notices/): the initiative letter (倡议书) or a notice,
    with a date, a short text and optionally a file (PDF or Word, checked by content), kept in the default
    storage."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    title = models.CharField(_("title"), max_length=100)
    date = models.DateField(_("date"))
    text = models.TextField(_("text"), blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_kind = models.CharField(max_length=8, blank=True)
    file_bytes = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    created_by = actor_field()
    created_by_label = models.CharField(max_length=150)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.title
