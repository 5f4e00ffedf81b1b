from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field
from dudao.exposure import lifecycle


class Kind(models.TextChoices):
    EXPOSURE = "exposure", _("exposure board")
    POSITIVE = "positive", _("positive column")


class Status(models.TextChoices):
    DRAFT = lifecycle.DRAFT, _("draft")
    REVIEW = lifecycle.REVIEW, _("in review")
    PUBLISHED = lifecycle.PUBLISHED, _("published")
    WITHDRAWN = lifecycle.WITHDRAWN, _("withdrawn")


class ReplyStatus(models.TextChoices):
    SUBMITTED = lifecycle.SUBMITTED, _("submitted")
    PUBLISHED = lifecycle.PUBLISHED, _("published")
    RETURNED = lifecycle.RETURNED, _("returned")


class Item(models.Model):
    """An item of the exposure board (曝光台) or the positive column (正面宣传) about one village: composed by the
    office from evidence Dudao holds (a problem and its photos, the village's move between two published weeks, a
    drone photo) or written anew, with the reason it is shown. A second office user publishes it; the public side
    shows the village, never a person, and only the public copies of its photos (ItemImage)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    village = models.ForeignKey("org.Unit", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    reason = models.TextField(_("reason for showing it"))
    problem = models.ForeignKey("problems.Problem", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    drone_photo = models.ForeignKey("drone.DronePhoto", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    # The village's move between two published weeks, as the results read when the item was composed.
    climb_from_week = models.CharField(max_length=8, blank=True)
    climb_from_position = models.PositiveIntegerField(null=True, blank=True)
    climb_to_week = models.CharField(max_length=8, blank=True)
    climb_to_position = models.PositiveIntegerField(null=True, blank=True)
    climb_ranked = models.PositiveIntegerField(null=True, blank=True)  # villages ranked in the later week
    synthetic = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()  # moves with every change of the item or its reply: the public stamp
    author = actor_field()
    author_label = models.CharField(max_length=150)
    reviewer = actor_field()
    reviewer_label = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    returned_reason = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["campaign", "kind", "status", "published_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def climb(self) -> int | None:
        """Places gained (negative: lost) between the two weeks."""
        if self.climb_from_position is None or self.climb_to_position is None:
            return None
        return self.climb_from_position - self.climb_to_position


class ItemImage(models.Model):
    """A photo of an item: the source (a stored copy Dudao re-encoded already, never served publicly), the regions
    the editor marked ([x, y, w, h] fractions of the width and height) and the public copy, a new JPEG in which
    those regions are destroyed (exposure.imaging), without any metadata. ``checked``: the editor looked at it and
    saved its regions (none is an answer too); an item is submitted only when every photo is checked."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="images")
    source = models.CharField(max_length=8)  # before, after, drone, upload
    source_name = models.CharField(max_length=200)
    regions = models.JSONField(default=list)
    checked = models.BooleanField(default=False)
    public_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "position", "pk"]


class Reply(models.Model):
    """The village's reply to a published item, shown beside it once the office publishes it."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="reply")
    status = models.CharField(_("status"), max_length=10, choices=ReplyStatus.choices,
                              default=ReplyStatus.SUBMITTED)
    text = models.TextField(_("reply"))
    submitted_at = models.DateTimeField()
    author = actor_field()
    author_label = models.CharField(max_length=150)
    reviewer = actor_field()
    reviewer_label = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    returned_reason = models.TextField(blank=True)
