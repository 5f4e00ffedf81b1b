"""Campaign lifecycle: the default campaign that `dudao init` guarantees."""

from django.db import transaction
from django.utils.translation import gettext as _

from dudao.audit.services import audit_record
from dudao.campaigns.models import Campaign
from dudao.org.models import Level, Unit


def campaign_ensure_default(*, actor) -> tuple[Campaign, bool]:
    """The default campaign, created if there is none; the county is attached once it exists."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(is_default=True).first()
        created = campaign is None
        county = Unit.objects.filter(level=Level.COUNTY, parent__isnull=True).order_by("code").first()
        if campaign is None:
            campaign = Campaign.objects.create(
                name=_("Urban-rural environment remediation campaign"), slug="default", is_default=True,
                county=county,
            )
            audit_record(actor=actor, action="campaign.create", object_type="campaign", object_id=campaign.slug,
                         after={"name": campaign.name, "county": county.code if county else None})
        elif campaign.county_id is None and county is not None:
            campaign.county = county
            campaign.save(update_fields=["county"])
            audit_record(actor=actor, action="campaign.update", object_type="campaign", object_id=campaign.slug,
                         before={"county": None}, after={"county": county.code})
    return campaign, created


def campaign_get(slug: str | None = None) -> Campaign:
    if slug:
        return Campaign.objects.get(slug=slug)
    return Campaign.objects.get(is_default=True)
