from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dudao.interviews import lifecycle
from dudao.org.models import PostRole


class InterviewReason(models.TextChoices):
    RED = "red", _("red this week")
    ESCALATED = "escalated", _("red rounds in a row")


class InterviewStatus(models.TextChoices):
    """The interview's lifecycle (lifecycle.py holds the transition table)."""

    PENDING = lifecycle.PENDING, _("to be scheduled")
    SCHEDULED = lifecycle.SCHEDULED, _("scheduled")
    HELD = lifecycle.HELD, _("held, commitments open")
    CLOSED = lifecycle.CLOSED, _("closed")
    CANCELLED = lifecycle.CANCELLED, _("cancelled")


# The order of a red village's interviews in every list: its head, its liaison, the township's head, its deputy.
ROLE_ORDER: dict[str, int] = {PostRole.VILLAGE_HEAD: 0, PostRole.VILLAGE_LIAISON: 1, PostRole.TOWN_HEAD: 2,
                              PostRole.TOWN_DEPUTY: 3}


class Interview(models.Model):
    """A formal accountability interview (约谈) generated when a round is published, then scheduled, held (with
    its commitments) and closed when every commitment is verified - or cancelled with a reason. Changed only
    through dudao.interviews.services."""

    round = models.ForeignKey("ranking.Round", on_delete=models.PROTECT, related_name="interviews")
    # The main red village (the first by code); ``villages`` holds it and every other red village of the week the
    # same official answers for: one interview per official and week.
    village = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    villages = models.ManyToManyField("org.Unit", related_name="+", blank=True, verbose_name=_("villages"))
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=20)
    reason = models.CharField(max_length=10, choices=InterviewReason.choices)
    post = models.ForeignKey("org.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    vacant = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=InterviewStatus.choices,
                              default=InterviewStatus.PENDING)
    # Set when the interview is created (services.interviews_create_for_round): working days after publication.
    hold_by = models.DateField(_("to be held by"))
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    interviewer = models.CharField(_("interviewer"), max_length=100, blank=True)
    held_on = models.DateField(_("held on"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        # The table of the ranking app, where interviews began (no data moved when the model did).
        db_table = "ranking_interview"
        ordering = ["round", "village__code", "reason", "role"]
        indexes = [models.Index(fields=["status", "hold_by"], name="interview_status_hold_by")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["held", "closed"]) | Q(held_on__isnull=False),
                name="interview_held_has_date",
            ),
        ]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("interview_detail", args=[self.pk])

    def village_list(self) -> list:
        """The red villages the interview covers, the main one first (prefetch ``villages`` for lists)."""
        others = sorted((v for v in self.villages.all() if v.pk != self.village_id), key=lambda v: v.code)
        return [self.village, *others]


class CommitmentStatus(models.TextChoices):
    OPEN = lifecycle.OPEN, _("open")
    DONE = lifecycle.DONE, _("done, awaiting verification")
    VERIFIED = lifecycle.VERIFIED, _("verified")


class Commitment(models.Model):
    """What the interviewed official undertook to do, by when (整改承诺). Marked done by the interviewed unit's
    staff (or the office), verified by the office - not by the office user who marked it done. When every
    commitment of an interview is verified, the interview closes."""

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="commitments")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(_("commitment"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=10, choices=CommitmentStatus.choices,
                              default=CommitmentStatus.OPEN)
    done_note = models.TextField(_("what was done"), blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    done_by_label = models.CharField(max_length=150, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    return_note = models.TextField(_("why it was returned"), blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    verified_by_label = models.CharField(max_length=150, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["interview", "position", "pk"]
        indexes = [models.Index(fields=["status", "due_date"], name="commitment_status_due")]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")

    def __str__(self) -> str:
        return self.text[:50]


class OutcomeKind(models.TextChoices):
    """What the office decided once the interview was held (lifecycle.OUTCOME_KINDS)."""

    NO_ACTION = lifecycle.NO_ACTION, _("no further action")
    CRITICISM = lifecycle.CRITICISM, _("circulated criticism")
    ADMONISHMENT = lifecycle.ADMONISHMENT, _("admonishment talk")
    ACCOUNTABILITY = lifecycle.ACCOUNTABILITY, _("accountability")


class Outcome(models.Model):
    """The outcome of a held interview (问责追究), recorded by the office against the interviewed person and their
    post: once per interview and person. A correction is a revision: a new record that ``supersedes`` the one
    before, which stays (the person's history shows both). Changed only through dudao.interviews.services."""

    interview = models.ForeignKey(Interview, on_delete=models.PROTECT, related_name="outcomes")
    person = models.ForeignKey("org.Person", on_delete=models.PROTECT, related_name="+")
    post = models.ForeignKey("org.Post", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("outcome"), max_length=20, choices=OutcomeKind.choices)
    reference = models.CharField(_("decision reference"), max_length=100, blank=True)  # 文号
    decided_on = models.DateField(_("decision date"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    # The record this one corrects; a record is revised at most once (the history is a line, its end current).
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    revise_reason = models.TextField(_("why it was revised"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_by_label = models.CharField(max_length=150)
    recorded_at = models.DateTimeField()
    synthetic = models.BooleanField(_("demo data"), default=False)

    class Meta:
        ordering = ["interview", "recorded_at", "pk"]
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        constraints = [
            # Once per interview and person: every later record is a revision of one before it.
            models.UniqueConstraint(fields=["interview", "person"], condition=Q(supersedes__isnull=True),
                                    name="outcome_once_per_interview_person"),
            models.CheckConstraint(
                condition=~Q(kind=lifecycle.ACCOUNTABILITY) | (Q(decided_on__isnull=False) & ~Q(reference="")),
                name="outcome_accountability_has_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.interview_id}: {self.kind}"
