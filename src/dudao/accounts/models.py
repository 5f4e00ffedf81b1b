from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", _("county administrator")
    OFFICE = "office", _("campaign office staff")
    LEADER = "leader", _("leader")
    INSPECTOR = "inspector", _("inspector")
    TOWN_STAFF = "town_staff", _("township staff")
    VILLAGE_STAFF = "village_staff", _("village staff")
    GRID = "grid", _("grid staff")


class User(AbstractUser):
    """A sign-in account. What it may see and change is decided by dudao.accounts.access alone."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VILLAGE_STAFF)
    # The township or village of township and village staff; the grid of grid staff (more grids come from the
    # person's grid posts).
    scope_unit = models.ForeignKey(
        "org.Unit", verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The person behind the account; an inspector's townships come from this person's inspection groups.
    person = models.ForeignKey(
        "org.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class LoginAttempt(models.Model):
    """One sign-in attempt: the user name typed, the client's address and, when the browser carried the signed
    cookie of an earlier sign-in as this user, that known device's id (accounts.services.sign_in)."""

    username = models.CharField(max_length=150, db_index=True)
    at = models.DateTimeField(db_index=True)
    succeeded = models.BooleanField()
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    device = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-at"]


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 digest is stored, the token itself is shown once: printed for a script
    (`dudao token create`), or handed to the field app that registered a device (decision 0020)."""

    class Kind(models.TextChoices):
        SCRIPT = "script", _("script")
        DEVICE = "device", _("field app device")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SCRIPT)
    device_name = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    # The client address the token was issued to (a device's registration; empty for the command line).
    created_from = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
