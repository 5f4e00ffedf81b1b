from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field
from dudao.practices import lifecycle


class Status(models.TextChoices):
    DRAFT = lifecycle.DRAFT, _("draft")
    SUBMITTED = lifecycle.SUBMITTED, _("submitted")
    PUBLISHED = lifecycle.PUBLISHED, _("published")
    RETURNED = lifecycle.RETURNED, _("returned")
    WITHDRAWN = lifecycle.WITHDRAWN, _("withdrawn")


class Practice(models.Model):
    """A township's write-up of what worked (好经验好做法), published on the portal once the office selects it. Its
    optional photo is kept as re-encoded copies without EXIF (dudao.photos.services.checked/files_store), as a
    public report's is. The public side shows the township, never the author."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey("org.Unit", verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text"))
    display_name = models.CharField(max_length=200, blank=True)
    thumb_name = models.CharField(max_length=200, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    author = actor_field()
    author_label = models.CharField(max_length=150)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = actor_field()
    decided_by_label = models.CharField(max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["campaign", "status", "published_at"])]

    def __str__(self) -> str:
        return self.title
