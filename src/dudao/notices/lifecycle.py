"""A public notice's lifecycle (the initiative letter 倡议书 and other notices). Pure: no Django.

    published ─withdraw→ withdrawn   (the office publishes a notice when it writes it)
"""

from dudao.core.lifecycle import Lifecycle, transition
from dudao.core.lifecycle import TransitionRefused as TransitionRefused  # the services catch it from here

PUBLISHED = "published"
WITHDRAWN = "withdrawn"
STATUSES = (PUBLISHED, WITHDRAWN)

TABLE = Lifecycle(STATUSES, {
    "withdraw": transition([PUBLISHED], WITHDRAWN, ["office"]),
})


def next_status(status: str, name: str) -> str:
    return TABLE.next_status(status, name)
