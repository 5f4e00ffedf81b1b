from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field
from dudao.reports import lifecycle


class Status(models.TextChoices):
    RECEIVED = lifecycle.RECEIVED, _("received")
    ACCEPTED = lifecycle.ACCEPTED, _("accepted")
    DECLINED = lifecycle.DECLINED, _("declined")


class Report(models.Model):
    """A problem reported by anyone, without an account (随手拍). Its photo is kept as re-encoded copies without
    EXIF (dudao.photos.services.checked/files_store); the upload itself is not kept. The contact is for the office
    only; the client's address is kept only as a keyed hash, to limit how many reports one client sends."""

    code = models.CharField(_("tracking code"), max_length=10, unique=True)
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    text = models.TextField(_("what is wrong"))
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    village = models.ForeignKey("org.Unit", verbose_name=_("village"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    contact = models.CharField(_("contact"), max_length=20, blank=True)
    display_name = models.CharField(max_length=200)
    thumb_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    source_bytes = models.PositiveIntegerField()
    source_format = models.CharField(max_length=8)
    taken_at = models.DateTimeField(null=True, blank=True)
    client = models.CharField(max_length=64, db_index=True)
    received_at = models.DateTimeField(_("received at"))
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = actor_field()
    decided_by_label = models.CharField(max_length=150, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    problem = models.ForeignKey("problems.Problem", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["client", "received_at"]), models.Index(fields=["status", "received_at"])]

    def __str__(self) -> str:
        return self.code


class LookupMiss(models.Model):
    """An unknown tracking code tried by a client (its address as the same keyed hash as a report's): counted over
    the last hour to stop codes being guessed in a loop. Kept in the database so that every web process counts the
    same misses (a local-memory cache is per process); rows older than an hour are deleted as new ones come."""

    client = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["client", "at"])]
