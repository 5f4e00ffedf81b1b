from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dudao.interviews import lifecycle


class CommitmentStatus(models.TextChoices):
    OPEN = lifecycle.OPEN, _("open")
    DONE = lifecycle.DONE, _("done, awaiting verification")
    VERIFIED = lifecycle.VERIFIED, _("verified")


class Commitment(models.Model):
    """What the interviewed official undertook to do, by when (整改承诺). Marked done by the interviewed unit's
    staff (or the office), verified by the office - not by the office user who marked it done. When every
    commitment of an interview is verified, the interview closes."""

    interview = models.ForeignKey("ranking.Interview", on_delete=models.PROTECT, related_name="commitments")
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
