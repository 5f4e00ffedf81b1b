import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    COUNTY = "county", _("county")
    TOWN = "town", _("township")
    VILLAGE = "village", _("village")
    COMMUNITY = "community", _("community")
    GROUP = "group", _("village group")
    GRID = "grid", _("grid")


# The levels the weekly round ranks, inspectors visit and drones fly over: villages and communities.
RANKED_LEVELS: tuple[str, ...] = (Level.VILLAGE, Level.COMMUNITY)


class Datum(models.TextChoices):
    GCJ02 = "gcj02", "GCJ-02"
    WGS84 = "wgs84", "WGS-84"


def town_code(path: str) -> str:
    """The code of the township in a unit's path (county/town/…); "" for the county itself."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else ""


class UnitQuerySet(models.QuerySet):
    def ranked(self) -> "UnitQuerySet":
        """Villages and communities: what the weekly round ranks."""
        return self.filter(level__in=RANKED_LEVELS)

    def towns(self) -> "UnitQuerySet":
        return self.filter(level=Level.TOWN)

    def under(self, unit: "Unit") -> "UnitQuerySet":
        """The unit and the units below it (its subtree)."""
        return self.filter(path__startswith=unit.path)

    def of_campaign(self, campaign) -> "UnitQuerySet":
        """The units of the campaign's county (all units while the campaign has no county)."""
        return self.under(campaign.county) if campaign.county_id else self


class Unit(models.Model):
    """One unit of the county's tree, keyed by its 12-digit statistical code (a string)."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    official_name = models.CharField(_("official name"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # The county's parent (the prefecture) lies outside the campaign: kept as a code only.
    external_parent_code = models.CharField(max_length=12, blank=True)
    # Codes from the root down to this unit, "620423000000/620423100000/": subtree = path prefix.
    path = models.CharField(max_length=600, db_index=True)
    active = models.BooleanField(_("active"), default=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    point_datum = models.CharField(_("datum"), max_length=5, choices=Datum.choices, blank=True)
    point_synthetic = models.BooleanField(_("synthetic point"), default=False)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    boundary_datum = models.CharField(max_length=5, choices=Datum.choices, blank=True)
    # A schematic boundary (the demo's, derived from the points): maps say it is not the real division.
    boundary_synthetic = models.BooleanField(_("synthetic boundary"), default=False)
    # A grid's area in words where it has no boundary: its streets, courtyards and households.
    description = models.CharField(_("area description"), max_length=500, blank=True)
    initials = models.CharField(_("pinyin initials"), max_length=100, blank=True, db_index=True)
    pinyin = models.CharField(_("pinyin"), max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.CheckConstraint(
                condition=(Q(lon__isnull=True) & Q(lat__isnull=True))
                | (Q(lon__isnull=False) & Q(lat__isnull=False) & ~Q(point_datum="")),
                name="unit_point_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    @property
    def is_ranked(self) -> bool:
        """A village or a community: the units the weekly round ranks."""
        return self.level in RANKED_LEVELS

    @property
    def is_town(self) -> bool:
        return self.level == Level.TOWN

    @property
    def is_grid(self) -> bool:
        return self.level == Level.GRID

    def village_code(self) -> str:
        """The code of the village or community a unit lies in (itself for one; "" above the villages): the path's
        third code, since villages hang under townships under the county."""
        parts = self.path.strip("/").split("/")
        return parts[2] if len(parts) > 2 else ""


class Person(models.Model):
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=11, unique=True)
    synthetic = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "phone"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name


class PostRole(models.TextChoices):
    COUNTY_LEADER = "county_leader", _("county leader")
    TOWN_HEAD = "town_head", _("township main leader")
    TOWN_DEPUTY = "town_deputy", _("township deputy in charge")
    VILLAGE_LIAISON = "village_liaison", _("township official in charge of the village")
    VILLAGE_HEAD = "village_head", _("village main leader")
    GROUP_LEADER = "group_leader", _("village group leader")
    GRID_LEADER = "grid_leader", _("grid leader")
    GRID_WORKER = "grid_worker", _("grid worker")
    CLEANER = "cleaner", _("cleaner")
    OTHER = "other", _("other")


# The posts of a grid: the people on the ground (issue 16).
GRID_POST_ROLES: tuple[str, ...] = (PostRole.GRID_LEADER, PostRole.GRID_WORKER, PostRole.CLEANER)


class PostQuerySet(models.QuerySet):
    def held_between(self, first: dt.date, last: dt.date | None = None) -> "PostQuerySet":
        """Posts held on the day ``first``, or at any time from ``first`` to ``last`` (e.g. in a ranking week)."""
        return self.filter(start_date__lte=last or first).exclude(end_date__lt=first)


class Post(models.Model):
    """A person holding a role at a unit from start_date to end_date (inclusive; open-ended if empty)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="posts")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="posts")
    role = models.CharField(_("post"), max_length=20, choices=PostRole.choices)
    title = models.CharField(_("title"), max_length=50, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["unit__path", "role", "-start_date"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="post_dates_ordered"
            ),
            models.UniqueConstraint(fields=["person", "unit", "role", "start_date"], name="post_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_role_display()} {self.person}"


class GroupKind(models.TextChoices):
    LEADING = "leading", _("leading group")
    OFFICE = "office", _("campaign office")
    SPECIAL = "special", _("special working group")
    INSPECTION = "inspection", _("guidance-and-inspection group")
    AUDIT = "audit", _("audit group")


class MemberRole(models.TextChoices):
    LEADER = "leader", _("group leader")
    DEPUTY = "deputy", _("deputy group leader")
    MEMBER = "member", _("member")
    CONTACT = "contact", _("contact person")


class WorkingGroup(models.Model):
    campaign = models.ForeignKey(
        "campaigns.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="groups"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=GroupKind.choices)
    name = models.CharField(_("name"), max_length=100)
    duties = models.TextField(_("duties"), blank=True)
    towns = models.ManyToManyField(
        Unit, verbose_name=_("assigned townships"), blank=True, related_name="inspection_groups"
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="group_unique_name")]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role in group"), max_length=10, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        ordering = ["group", "role", "person__name"]
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="member_unique")]

    def __str__(self) -> str:
        return f"{self.group}: {self.person}"
