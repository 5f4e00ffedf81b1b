from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LocationSource(models.TextChoices):
    EXIF = "exif", _("photo (EXIF)")
    DEVICE = "device", _("phone location")


class Photo(models.Model):
    """A field photo as stored: a re-encoded display copy and a thumbnail, both without EXIF. The upload itself
    is never kept or served; when and where it was taken are data fields here."""

    sha256 = models.CharField(max_length=64, db_index=True)
    display_name = models.CharField(max_length=200)
    thumb_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    source_bytes = models.PositiveIntegerField()
    source_format = models.CharField(max_length=8)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    location_source = models.CharField(max_length=6, choices=LocationSource.choices, blank=True)
    # The village the photo was taken for: photos are visible to whoever sees that village.
    village = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    # The phone's idempotency key: the same upload sent twice is stored once.
    client_key = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["uploaded_by", "client_key"], name="photo_client_key"),
        ]
