"""A good practice's (好经验好做法) lifecycle. Pure: no Django.

    draft ─submit→ submitted ─publish→ published ─withdraw→ withdrawn
      ↑               └─return→ returned (with a reason; the township edits it and submits it again)
"""

from dudao.core.lifecycle import Lifecycle, transition
from dudao.core.lifecycle import TransitionRefused as TransitionRefused  # the services catch it from here

DRAFT = "draft"
SUBMITTED = "submitted"
PUBLISHED = "published"
RETURNED = "returned"
WITHDRAWN = "withdrawn"
STATUSES = (DRAFT, SUBMITTED, PUBLISHED, RETURNED, WITHDRAWN)
# What the township may still change.
EDITABLE = frozenset({DRAFT, RETURNED})

TABLE = Lifecycle(STATUSES, {
    "submit": transition([DRAFT, RETURNED], SUBMITTED, ["town", "office"]),
    "publish": transition([SUBMITTED], PUBLISHED, ["office"]),
    "return": transition([SUBMITTED], RETURNED, ["office"]),
    "withdraw": transition([PUBLISHED], WITHDRAWN, ["office"]),
})


def next_status(status: str, name: str) -> str:
    return TABLE.next_status(status, name)
