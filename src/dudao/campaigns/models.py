from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), unique=True)
    county = models.ForeignKey(
        "org.Unit", verbose_name=_("county"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_default = models.BooleanField(_("default campaign"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_campaign")
        ]

    def __str__(self) -> str:
        return self.name
