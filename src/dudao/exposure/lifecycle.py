"""An exposure board (曝光台) or positive column (正面宣传) item's lifecycle, and its village's reply's. Pure: no
Django.

    draft ─submit→ review ─publish→ published ─withdraw→ withdrawn
      ↑              └─return→ draft (with a reason)
The office writes and submits; a second office user (never the author) publishes or returns it.

    reply: submitted ─publish→ published;  submitted ─return→ returned ─submit→ submitted
The village writes and submits its reply to a published item; the office publishes or returns it.
"""

from dudao.core.lifecycle import Lifecycle, transition
from dudao.core.lifecycle import TransitionRefused as TransitionRefused  # the services catch it from here

DRAFT = "draft"
REVIEW = "review"
PUBLISHED = "published"
WITHDRAWN = "withdrawn"
STATUSES = (DRAFT, REVIEW, PUBLISHED, WITHDRAWN)
EDITABLE = frozenset({DRAFT})

TABLE = Lifecycle(STATUSES, {
    "submit": transition([DRAFT], REVIEW, ["author"]),
    "publish": transition([REVIEW], PUBLISHED, ["reviewer"]),
    "return": transition([REVIEW], DRAFT, ["reviewer"]),
    "withdraw": transition([PUBLISHED], WITHDRAWN, ["author", "reviewer"]),
})

SUBMITTED = "submitted"
RETURNED = "returned"
REPLY_STATUSES = (SUBMITTED, PUBLISHED, RETURNED)

REPLY = Lifecycle(REPLY_STATUSES, {
    "submit": transition([RETURNED], SUBMITTED, ["village"]),
    "publish": transition([SUBMITTED], PUBLISHED, ["office"]),
    "return": transition([SUBMITTED], RETURNED, ["office"]),
})


def next_status(status: str, name: str) -> str:
    return TABLE.next_status(status, name)
