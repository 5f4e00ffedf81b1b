"""A public report's (随手拍) lifecycle. Pure: no Django.

    received ─accept→ accepted   (it became a problem of the loop)
        └────decline→ declined   (with a reason the reporter reads)
"""

from dudao.core.lifecycle import Lifecycle, transition
from dudao.core.lifecycle import TransitionRefused as TransitionRefused  # the services catch it from here

RECEIVED = "received"
ACCEPTED = "accepted"
DECLINED = "declined"
STATUSES = (RECEIVED, ACCEPTED, DECLINED)

TABLE = Lifecycle(STATUSES, {
    "accept": transition([RECEIVED], ACCEPTED, ["office"]),
    "decline": transition([RECEIVED], DECLINED, ["office"]),
})


def next_status(status: str, name: str) -> str:
    return TABLE.next_status(status, name)
