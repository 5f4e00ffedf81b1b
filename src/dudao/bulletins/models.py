from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dudao.accounts.actors import actor_field


class Letterhead(models.Model):
    """The issuing office's name and document-number prefix (机关代字) printed on a campaign's bulletins.
    Made from the county's name on first use; the office may change it on the template page."""

    campaign = models.OneToOneField("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    issuer = models.CharField(_("issuing office"), max_length=100)
    prefix = models.CharField(_("document number prefix"), max_length=30)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = actor_field()
    updated_by_label = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return self.issuer


class BulletinTemplate(models.Model):
    """A Word template (docxtpl) the office uploaded. At most one is active per campaign; none active means
    the default template that dudao.bulletins.word builds."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("file name"), max_length=200)
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = actor_field()
    uploaded_by_label = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField()
    active = models.BooleanField(default=False)

    class Meta:
        ordering = ["campaign", "-uploaded_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["campaign"], condition=Q(active=True),
                                               name="bulletin_template_one_active")]

    def __str__(self) -> str:
        return self.name


class TemplateTrial(models.Model):
    """A Word template the office uploaded, waiting for (or done with) its trial: the worker makes the latest
    published week's bulletin with it, outside the web request (decision 0022). Accepted, it becomes a
    BulletinTemplate; refused, the reason is kept for the template page."""

    class State(models.TextChoices):
        CHECKING = "checking", _("checking")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("file name"), max_length=200)
    data = models.BinaryField()
    uploaded_by = actor_field()
    uploaded_by_label = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField()
    language = models.CharField(max_length=10)  # the uploader's, for the refusal's message
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    message = models.TextField(blank=True, default="")
    template = models.ForeignKey(BulletinTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]


class Bulletin(models.Model):
    """The three files of one published round's bulletin, kept in the default storage."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    round = models.OneToOneField("ranking.Round", on_delete=models.PROTECT, related_name="bulletin")
    week = models.CharField(max_length=8)
    revision = models.PositiveIntegerField()
    docx_name = models.CharField(max_length=300)
    pdf_name = models.CharField(max_length=300)
    xlsx_name = models.CharField(max_length=300)
    docx_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)
    xlsx_sha256 = models.CharField(max_length=64)
    content_digest = models.CharField(max_length=64)
    template_sha256 = models.CharField(max_length=64)
    # The letterhead and document number the bulletin was first issued with; regenerating keeps them.
    letterhead = models.JSONField(default=dict)
    generated_at = models.DateTimeField()
    generated_by = actor_field()
    generated_by_label = models.CharField(max_length=150)
    # What the week's page shows of the content, kept when the files are made (bulletins.services.page_summary):
    # {"text": the opening paragraph in the site's language, "styles": [[code, label, colour, villages], …]}; {} for a
    # bulletin made before it was kept (filled on the first read).
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["campaign", "-week", "-revision"]
        indexes = [models.Index(fields=["campaign", "week"])]

    def __str__(self) -> str:
        return f"{self.week} r{self.revision}"


class DocumentNumber(models.Model):
    """A bulletin's document number (文号): issued once, to one round (a revision is a new round and gets its
    own), and never issued again: the serial is the highest of the campaign's year plus one
    (bulletins.services.number_issue)."""

    campaign = models.ForeignKey("campaigns.Campaign", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    serial = models.PositiveIntegerField()
    round = models.OneToOneField("ranking.Round", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "year", "serial"], name="bulletin_number_once")]

    def __str__(self) -> str:
        return f"{self.year}/{self.serial}"
