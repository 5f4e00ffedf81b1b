"""The people mobilised and the publicity on the ground (issue 16 items 4 and 5): party members, activists for
party membership and reserve cadres registered with their village (and grid), what each does recorded once a day
and kind; the villages' loudspeaker schedules and the publicity vans' tours."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field


class VolunteerKind(models.TextChoices):
    PARTY_MEMBER = "party_member", _("party member")
    ACTIVIST = "activist", _("activist for party membership")
    RESERVE_CADRE = "reserve_cadre", _("reserve cadre")


class ActivityKind(models.TextChoices):
    CLEANUP = "cleanup", _("joined a cleanup")
    PROBLEM_REPORT = "problem_report", _("reported a problem")
    LEAFLET_VISIT = "leaflet_visit", _("visited households with leaflets")


class Volunteer(models.Model):
    """A person of the village mobilised for the campaign (党员、入党积极分子、后备干部), in one of its grids or
    none."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("org.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=VolunteerKind.choices)
    village = models.ForeignKey("org.Unit", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("org.Unit", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    since = models.DateField(_("since"))
    synthetic = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    by = actor_field()
    by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["village__path", "kind", "person__name"]
        verbose_name = _("mobilised person")
        verbose_name_plural = _("mobilised people")
        constraints = [models.UniqueConstraint(fields=["campaign", "person", "kind"], name="volunteer_once")]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_kind_display()})"


class Activity(models.Model):
    """What a mobilised person did on a day, recorded once per kind and day."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    date = models.DateField(_("date"), db_index=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    synthetic = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    by = actor_field()
    by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "kind", "date"], name="activity_once"),
            models.CheckConstraint(condition=Q(kind="leaflet_visit", households__gte=1)
                                   | (~Q(kind="leaflet_visit") & Q(households__isnull=True)),
                                   name="activity_households_of_leaflets"),
        ]


class Broadcast(models.Model):
    """A loudspeaker's schedule (定点定时循环播放): where, at what times each day, what text, from and to which day."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey("org.Unit", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    place = models.CharField(_("place"), max_length=100)
    times = models.CharField(_("times"), max_length=200)  # "07:30,12:00,19:00": sorted, each once
    text = models.TextField(_("text"))
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    synthetic = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    by = actor_field()
    by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-date_from", "-pk"]
        verbose_name = _("loudspeaker schedule")
        verbose_name_plural = _("loudspeaker schedules")
        constraints = [models.CheckConstraint(condition=Q(date_to__gte=F("date_from")),
                                              name="broadcast_dates_ordered")]

    @property
    def time_list(self) -> list[str]:
        return self.times.split(",") if self.times else []


class VanTour(models.Model):
    """A publicity van's tour through a township or a village, with its times and route."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("org.Unit", verbose_name=_("township or village"), on_delete=models.PROTECT,
                             related_name="+")
    starts_at = models.DateTimeField(_("start time"), db_index=True)
    ends_at = models.DateTimeField(_("end time"))
    route = models.CharField(_("route"), max_length=500)
    synthetic = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    by = actor_field()
    by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("publicity van tour")
        verbose_name_plural = _("publicity van tours")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="van_tour_ends_after")]
