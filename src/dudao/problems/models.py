from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dudao.problems import lifecycle


class Category(models.Model):
    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="problem_categories")
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    position = models.PositiveSmallIntegerField(default=0)
    # 0: rectified by the end of the same (working) day, 即刻反馈、当天整改.
    working_days = models.PositiveSmallIntegerField(_("working days to rectify (0 = the same day)"), default=0)
    duplicate_radius_m = models.PositiveIntegerField(_("duplicate radius (m)"), default=50)
    duplicate_hours = models.PositiveIntegerField(_("duplicate window (hours)"), default=72)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["campaign", "position", "code"]
        verbose_name = _("problem category")
        constraints = [models.UniqueConstraint(fields=["campaign", "code"], name="category_code")]

    def __str__(self) -> str:
        return self.name


class CalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a holiday, or a weekend day worked in its place (调休)."""

    date = models.DateField(_("date"), unique=True)
    working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]


class Status(models.TextChoices):
    REPORTED = lifecycle.REPORTED, _("reported")
    REGISTERED = lifecycle.REGISTERED, _("registered")
    DISPATCHED = lifecycle.DISPATCHED, _("dispatched")
    RECTIFIED = lifecycle.RECTIFIED, _("rectified")
    VERIFIED = lifecycle.VERIFIED, _("verified")
    CLOSED = lifecycle.CLOSED, _("closed")
    RETURNED = lifecycle.RETURNED, _("returned for rework")
    CANCELLED = lifecycle.CANCELLED, _("cancelled")


class Source(models.TextChoices):
    INSPECTION = "inspection", _("inspection")
    DRONE = "drone", _("drone photo")
    GRID = "grid", _("grid worker")
    CLEANER = "cleaner", _("cleaner")
    OFFICE = "office", _("campaign office")
    PUBLIC = "public", _("public report")


class Problem(models.Model):
    """A problem found (案卷), driven through the closed loop in dudao.problems.lifecycle."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="problems")
    village = models.ForeignKey("org.Unit", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    town = models.ForeignKey("org.Unit", verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    # The grid of the village it lies in, when known (a grid person's report names it): what grid staff see.
    grid = models.ForeignKey("org.Unit", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    description = models.TextField(_("description"))
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    inspection = models.ForeignKey("inspections.Inspection", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="problems")
    item = models.ForeignKey("inspections.ChecklistItem", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REPORTED)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reported_by_label = models.CharField(max_length=150, blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    dispatched_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    rectified_at = models.DateTimeField(null=True, blank=True)
    rectified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    rectified_by_label = models.CharField(max_length=150, blank=True)
    # Whether the last rectification came in by the deadline (kept, because rework moves rectified_at).
    first_rectified_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rework_count = models.PositiveIntegerField(_("rework"), default=0)
    possible_duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                              related_name="+")
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    client_key = models.CharField(max_length=64, null=True, blank=True)
    # Marked by the office for the public's Open311 interface (dudao.portal): served without any personal data.
    public = models.BooleanField(_("public"), default=False)

    class Meta:
        ordering = ["-reported_at"]
        constraints = [models.UniqueConstraint(fields=["reported_by", "client_key"], name="problem_client_key")]
        indexes = [models.Index(fields=["campaign", "status"]), models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"{timezone.localtime(self.reported_at):%Y}-{self.pk:06d}"


class PhotoKind(models.TextChoices):
    BEFORE = "before", _("before")
    AFTER = "after", _("after")


class ProblemPhoto(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="problem_photos")
    photo = models.ForeignKey("photos.Photo", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=PhotoKind.choices)
    event = models.ForeignKey("ProblemEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="photos")

    class Meta:
        ordering = ["problem", "kind", "pk"]
        constraints = [models.UniqueConstraint(fields=["problem", "photo"], name="problem_photo_unique")]


class ProblemEvent(models.Model):
    """One step of a problem's timeline (the audit log holds the same, hash-chained)."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    transition = models.CharField(max_length=12)  # "report" for the first event
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_label = models.CharField(max_length=150)
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["problem", "at", "pk"]
