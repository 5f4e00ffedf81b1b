"""Reading public reports: by tracking code for anyone (unknown codes limited per client), and the office's list."""

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dudao.core.errors import Refused
from dudao.reports.models import Report, Status
from dudao.reports.services import ALPHABET, CODE_LENGTH, client_key, lookup_miss_record, lookup_misses, normalise_code


def report_by_code(campaign, code: str, address: str) -> Report | None:
    """The report with this tracking code, or None. A client that tried too many unknown codes in the hour is
    refused every look-up (known codes too) until its misses of the last hour fall below the limit, so codes cannot
    be guessed in a loop. The misses are rows in the database (reports.models.LookupMiss), so every web process
    counts the same ones."""
    client = client_key(address)
    if lookup_misses(client) >= settings.REPORT_LOOKUP_MISSES_PER_HOUR:
        raise Refused("too_many_lookups", _("Too many unknown tracking codes were tried from this connection; try "
                                            "again in an hour."))
    code = normalise_code(code)
    found = None
    if len(code) == CODE_LENGTH and set(code) <= set(ALPHABET):
        found = (Report.objects.filter(campaign=campaign, code=code)
                 .select_related("problem", "village").first())
    if found is None:
        lookup_miss_record(client)
    return found


def reports_for_triage(campaign, status: str) -> QuerySet[Report]:
    status = status if status in Status.values else Status.RECEIVED
    rows = Report.objects.filter(campaign=campaign, status=status).select_related("village__parent", "problem")
    return rows.order_by("received_at") if status == Status.RECEIVED else rows.order_by("-decided_at")
