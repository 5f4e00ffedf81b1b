"""The weekly round's lifecycle. Pure: no Django.

    collecting ─compute→ computed ─request→ pending ─approve→ published ─revise→ superseded
        ▲   │                │ ▲  │             │                           (and revision + 1, collecting)
        │   └── compute ─────┘ │  └─ publish ───┼─→ published   (directly: the command line, or four eyes off)
        └──── collect ─────────┘◄── withdraw ───┘
    collect: new entries make the draft stale (computed → collecting); compute may run again on a draft.

A published round is never changed; a correction is a new revision with a stated reason.
"""

from dudao.core.lifecycle import Lifecycle, transition
from dudao.core.lifecycle import TransitionRefused as TransitionRefused  # the services catch it from here

COLLECTING = "collecting"
COMPUTED = "computed"
PENDING = "pending"
PUBLISHED = "published"
SUPERSEDED = "superseded"
STATUSES = (COLLECTING, COMPUTED, PENDING, PUBLISHED, SUPERSEDED)

ROUND = Lifecycle(STATUSES, {
    "collect": transition({COLLECTING, COMPUTED}, COLLECTING),
    "compute": transition({COLLECTING, COMPUTED}, COMPUTED),
    "request": transition({COMPUTED}, PENDING),
    "withdraw": transition({PENDING}, COMPUTED),
    "approve": transition({PENDING}, PUBLISHED),
    "publish": transition({COMPUTED}, PUBLISHED),
    "revise": transition({PUBLISHED}, SUPERSEDED),
})
# Entries may still change (a source is imported, fed or replaced; townships are reminded).
OPEN = ROUND.sources("collect")
# The round's results are current for its state (a collecting round's results, if any, are stale).
WITH_RESULTS = frozenset({COMPUTED, PENDING, PUBLISHED, SUPERSEDED})
# Published at some time: the published round and the revisions it was superseded by.
PUBLISHED_ONCE = frozenset({PUBLISHED, SUPERSEDED})


def next_status(status: str, name: str) -> str:
    """The round's status after the transition, or TransitionRefused."""
    return ROUND.next_status(status, name)
