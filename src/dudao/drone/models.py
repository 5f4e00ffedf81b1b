import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Batch(models.Model):
    """One week's drone flights as the office uploads them."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    week = models.CharField(_("week"), max_length=8, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.week} {self.name}"


class Placement(models.TextChoices):
    BOUNDARY = "boundary", _("inside the village boundary")
    NEAREST = "nearest", _("nearest village point")
    MANUAL = "manual", _("placed by hand")
    NONE = "none", _("not placed")


class Flag(models.TextChoices):
    GARBAGE = "garbage", _("garbage heap")
    DEBRIS = "debris", _("construction debris")
    STACKING = "stacking", _("disorderly stacking")
    STRUCTURE = "structure", _("illegal structure")


class DronePhoto(models.Model):
    """One aerial photo: the original kept as evidence, a display copy and a thumbnail without metadata, what the
    camera recorded, where it was placed and how the office scored it."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="photos")
    sha256 = models.CharField(max_length=64)
    filename = models.CharField(_("file name"), max_length=255)
    original_name = models.CharField(max_length=200)
    original_bytes = models.PositiveBigIntegerField()
    source_format = models.CharField(max_length=8)
    display_name = models.CharField(max_length=200)
    thumb_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    altitude_m = models.FloatField(null=True, blank=True)
    relative_altitude_m = models.FloatField(null=True, blank=True)
    gimbal_pitch = models.FloatField(null=True, blank=True)
    gimbal_yaw = models.FloatField(null=True, blank=True)
    make = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    metadata_problems = models.JSONField(default=list)
    village = models.ForeignKey("org.Unit", verbose_name=_("village"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    placement = models.CharField(_("placement"), max_length=8, choices=Placement.choices)
    placement_distance_m = models.FloatField(null=True, blank=True)
    # The ISO week the photo was taken in; a photo of another week than its batch's is flagged and not counted.
    week = models.CharField(max_length=8, db_index=True)
    outside_week = models.BooleanField(default=False)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    flags = models.JSONField(default=list)
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    scored_by_label = models.CharField(max_length=150, blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["batch", "taken_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sha256"], name="drone_photo_once"),
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                                   name="drone_score_1_to_5"),
        ]
        indexes = [models.Index(fields=["campaign", "week", "village"])]


class Upload(models.Model):
    """A resumable upload in progress: chunks append to a file in the data directory until it is whole."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="uploads")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The browser's key for the file (name, size, modification time): the same file again resumes.
    key = models.CharField(max_length=300)
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    received = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=10, default="open")  # open, stored, duplicate, refused
    photo = models.ForeignKey(DronePhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "created_by", "key"], name="drone_upload_key")]
