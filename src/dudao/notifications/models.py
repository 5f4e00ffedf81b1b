"""Notifications: the in-app Notification, the robots and rules that say who hears what where, and the
transactional outbox (Delivery, one row per message to one address, phone or robot; Attempt, one row per try).

Models are declared in dependency order (tests/conftest.py deletes them in reverse)."""

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """A message to one user, stored in the transaction of the event that causes it. Its text is rendered in
    the reader's language from ``kind`` and ``params`` (dudao.notifications.services.render).

    ``email_to``/``emailed_at``/``email_error`` mirror the e-mail Delivery of the notification, if any."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    link = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_to = models.CharField(max_length=254, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True)
    # Names the event and recipient (services.publish): the same event never stores it twice.
    dedupe_key = models.CharField(max_length=255, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]


class RobotKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class Channel(models.Model):
    """A group robot (WeCom or DingTalk webhook) of a unit's work group: it hears the unit's events."""

    kind = models.CharField(_("kind"), max_length=10, choices=RobotKind.choices)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(_("webhook address"), max_length=500,
                           validators=[URLValidator(schemes=["http", "https"])])
    # DingTalk's signing secret (加签, "SEC…"); never shown back in full.
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["unit__path", "name", "pk"]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self) -> str:
        return self.name

    @property
    def secret_hint(self) -> str:
        """The secret as shown on pages: its last four characters at most."""
        if not self.secret:
            return ""
        return "…" + self.secret[-4:] if len(self.secret) > 8 else "…"


class Rule(models.Model):
    """Which channels an event reaches for the accounts of one role at one unit (and the units below it; no
    unit: everywhere). The most specific rule wins; with none, the default is in-app and e-mail."""

    # A notification kind (dudao.notifications.kinds), registered by the app that sends it.
    event = models.CharField(_("event"), max_length=40)
    unit = models.ForeignKey("org.Unit", verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    role = models.CharField(_("role"), max_length=20)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("e-mail"), default=True)
    sms = models.BooleanField(_("SMS"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event", "unit__path", "role"]
        constraints = [
            models.UniqueConstraint(fields=["event", "unit", "role"], name="notification_rule_unique"),
            models.UniqueConstraint(fields=["event", "role"], condition=Q(unit__isnull=True),
                                    name="notification_rule_unique_everywhere"),
        ]


class Medium(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")


class Status(models.TextChoices):
    PENDING = "pending", _("pending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("skipped")


class Delivery(models.Model):
    """The outbox: one message to one address, phone or robot, stored with its cause and sent by the worker.
    Title and body are rendered at creation in the installation's language: what is stored is what is sent."""

    event = models.CharField(max_length=40)
    medium = models.CharField(max_length=10, choices=Medium.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="deliveries")
    robot = models.ForeignKey(Channel, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries")
    target = models.CharField(max_length=254, blank=True)  # the e-mail address or phone number
    title = models.CharField(max_length=300)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=500, blank=True)  # why it was skipped, or the last error (the detail)
    # The code of the last error (channels.REASONS): the outbox page shows its label in the reader's language.
    reason_code = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker that is sending the delivery holds it until claimed_until (see outbox.py).
    claimed_by = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When the send began, written (and committed) just before it and cleared with its recorded outcome: set on a
    # delivery that is no longer claimed, it marks a send whose outcome was never recorded (outbox.settle_unknown).
    sending_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = "deliveries"


class Attempt(models.Model):
    """One try at sending a delivery."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_set")
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    retryable = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)  # in English, the detail
    code = models.CharField(max_length=40, blank=True)  # what went wrong (channels.REASONS)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    errcode = models.IntegerField(null=True, blank=True)
    response = models.CharField(max_length=500, blank=True)  # a short summary of the answer (errcode, errmsg)

    class Meta:
        ordering = ["delivery", "at", "pk"]
