from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field
from dudao.accounts.models import Role
from dudao.org.models import PostQuerySet, PostRole
from dudao.plan import standing


class Department(models.Model):
    """A county department (住建局, 自然资源局, …) that leads or supports actions of the battle map. Not a unit of the
    county's tree: it has no statistical code and is neither ranked nor inspected (decision 0019)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    duties = models.TextField(_("duties"), blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    synthetic = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("department")
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="department_unique_name")]

    def __str__(self) -> str:
        return self.name


class DepartmentPostRole(models.TextChoices):
    HEAD = "head", _("head of department")
    IN_CHARGE = "in_charge", _("deputy in charge")
    CONTACT = "contact", _("contact person")


class DepartmentPost(models.Model):
    """A person responsible at a department from start_date to end_date (inclusive; open-ended if empty)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="posts")
    person = models.ForeignKey("org.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("post"), max_length=10, choices=DepartmentPostRole.choices)
    title = models.CharField(_("title"), max_length=50, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["department", "role", "-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="department_post_dates_ordered"),
        ]


class Action(models.Model):
    """One row of the battle map (作战图): what is to be done county-wide, by whom, by when (CONTRACTS §5)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    no = models.PositiveIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)
    lead = models.ForeignKey(Department, verbose_name=_("lead department"), on_delete=models.PROTECT,
                             related_name="led")
    support = models.ManyToManyField(Department, verbose_name=_("supporting departments"), blank=True,
                                     related_name="supported")
    target = models.CharField(_("target"), max_length=500, blank=True)
    target_value = models.DecimalField(_("target value"), max_digits=14, decimal_places=2, null=True, blank=True)
    target_unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    start = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    all_towns = models.BooleanField(_("all townships"), default=False)
    towns = models.ManyToManyField("org.Unit", verbose_name=_("townships"), blank=True, related_name="+")
    # Evidence that measures the action (decision 0019): problems of these categories, scores of these items.
    categories = models.ManyToManyField("problems.Category", verbose_name=_("problem categories"), blank=True,
                                        related_name="+")
    checklist_items = models.ManyToManyField("inspections.ChecklistItem", verbose_name=_("checklist items"),
                                             blank=True, related_name="+")
    archived = models.BooleanField(_("archived"), default=False)
    # The meeting decision it came from, if any.
    source_document = models.ForeignKey("Document", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="actions")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["campaign", "no"]
        verbose_name = _("action")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "no"], name="action_unique_no"),
            models.CheckConstraint(condition=Q(deadline__gte=F("start")), name="action_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.no}. {self.name}"


class Milestone(models.Model):
    """An intermediate time node of an action."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("date"))
    text = models.CharField(_("what is due"), max_length=100)

    class Meta:
        ordering = ["action", "date", "pk"]


class Task(models.Model):
    """A township's share of an action (fanned out, one per township it applies to), or a township's own task
    under it (its own method: 中泉镇's "2468"). The owner is a post at the township, so the task follows whoever
    holds it."""

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="tasks")
    town = models.ForeignKey("org.Unit", verbose_name=_("township"), on_delete=models.PROTECT, related_name="+")
    own = models.BooleanField(_("the township's own task"), default=False)
    title = models.CharField(_("title"), max_length=100, blank=True)
    owner_role = models.CharField(_("owner"), max_length=20, choices=PostRole.choices, default=PostRole.TOWN_DEPUTY)
    target_value = models.DecimalField(_("target value"), max_digits=14, decimal_places=2, null=True, blank=True)
    target_unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    start = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    reported = models.DecimalField(_("reported progress"), max_digits=14, decimal_places=2, default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    created_by = actor_field()
    created_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["action__no", "town__path", "own", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["action", "town"], condition=Q(own=False), name="task_one_per_town"),
            models.CheckConstraint(condition=Q(deadline__gte=F("start")), name="task_dates_ordered"),
        ]

    def __str__(self) -> str:
        return self.title or f"{self.action.name} · {self.town.name}"

    @property
    def done(self) -> bool:
        return self.completed_at is not None


class Progress(models.Model):
    """A township's report on a task: a figure toward its target (what this report adds), a note, photos."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="reports")
    value = models.DecimalField(_("figure"), max_digits=14, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    completes = models.BooleanField(_("completes the task"), default=False)
    reported_at = models.DateTimeField()
    reported_by = actor_field()
    reported_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-reported_at", "-pk"]


class ProgressPhoto(models.Model):
    """A report's photo, re-encoded without EXIF (photos.services.checked / files_store)."""

    progress = models.ForeignKey(Progress, on_delete=models.CASCADE, related_name="photos")
    display_name = models.CharField(max_length=200)
    thumb_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)


STANDING_LABELS = {
    standing.ON_TRACK: _("on track"),
    standing.BEHIND: _("behind"),
    standing.OVERDUE: _("overdue"),
    standing.DONE: _("done"),
}


class DocumentKind(models.TextChoices):
    PLAN = "plan", _("implementation plan")
    BATTLE_MAP = "battle_map", _("battle map as issued")
    NOTICE = "notice", _("notice")
    DECISION = "decision", _("meeting decision")


class Document(models.Model):
    """A campaign document (实施方案, the battle map as issued, a notice, a meeting decision), versioned, each visible
    to the office and to the roles it is addressed to."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=100)
    audience = models.JSONField(_("addressed to"), default=list)  # role codes
    created_at = models.DateTimeField()
    created_by = actor_field()
    created_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def audience_labels(self) -> list[str]:
        return [str(Role(role).label) for role in self.audience if role in Role.values]


class DocumentVersion(models.Model):
    """One version of a document's file (PDF or Word, checked by its content), never changed: a new file is a new
    version."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file_name = models.CharField(max_length=200)
    file_kind = models.CharField(max_length=4)
    file_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    note = models.CharField(_("note"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField()
    uploaded_by = actor_field()
    uploaded_by_label = models.CharField(max_length=150)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")]


class VisitPlan(models.Model):
    """An inspection group's plan for one ISO week: the villages of its townships it means to visit (issue 15, item
    6; decision 0025). Planned against visited is read from the inspections of the group's inspectors."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey("org.WorkingGroup", verbose_name=_("inspection group"), on_delete=models.CASCADE,
                              related_name="visit_plans")
    week = models.CharField(_("week"), max_length=8)
    villages = models.ManyToManyField("org.Unit", verbose_name=_("planned villages"), blank=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    synthetic = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["-week", "group__name"]
        verbose_name = _("visit plan")
        constraints = [models.UniqueConstraint(fields=["group", "week"], name="visit_plan_unique_week")]

    def __str__(self) -> str:
        return f"{self.group} {self.week}"


class CoverageSettings(models.Model):
    """The campaign's coverage setting: a village nobody has visited for this many weeks is listed."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.PROTECT, related_name="coverage_settings")
    unvisited_weeks = models.PositiveSmallIntegerField(_("weeks without a visit before a village is listed"),
                                                       default=2)

    class Meta:
        verbose_name = _("coverage settings")
