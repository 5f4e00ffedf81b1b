"""Reading public reports: by tracking code for anyone (unknown codes limited per client), and the office's list."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dudao.core.errors import Refused
from dudao.reports.models import Report, Status
from dudao.reports.services import ALPHABET, CODE_LENGTH, client_key, normalise_code

HOUR = 3600


def _misses_key(address: str) -> str:
    return f"reports:misses:{client_key(address)}:{int(time.time()) // HOUR}"


def report_by_code(campaign, code: str, address: str) -> Report | None:
    """The report with this tracking code, or None. A client that tried too many unknown codes in the hour is
    refused every look-up (known codes too) until the hour is over, so codes cannot be guessed in a loop. The count
    is kept in Django's cache (per process with the default local memory cache)."""
    key = _misses_key(address)
    limit = settings.REPORT_LOOKUP_MISSES_PER_HOUR
    if (cache.get(key) or 0) >= limit:
        raise Refused("too_many_lookups", _("Too many unknown tracking codes were tried from this connection; try "
                                            "again in an hour."))
    code = normalise_code(code)
    found = None
    if len(code) == CODE_LENGTH and set(code) <= set(ALPHABET):
        found = (Report.objects.filter(campaign=campaign, code=code)
                 .select_related("problem", "village").first())
    if found is None:
        cache.add(key, 0, HOUR)
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, HOUR)
    return found


def reports_for_triage(campaign, status: str) -> QuerySet[Report]:
    status = status if status in Status.values else Status.RECEIVED
    rows = Report.objects.filter(campaign=campaign, status=status).select_related("village__parent", "problem")
    return rows.order_by("received_at") if status == Status.RECEIVED else rows.order_by("-decided_at")
