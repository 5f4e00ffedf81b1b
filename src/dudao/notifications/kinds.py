"""The kinds of notification. Notifications knows no domain: each app that tells people of its events registers
its kinds here when it is ready (its ``notices`` module), with the label the office sees on the rules and robot
pages, the place in their lists, and the function that words a message from its parameters in the active
language. A stored notification keeps only its kind and parameters, so it is worded again in each reader's
language."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class Params(dict):
    """Parameters of a message; a missing one renders empty rather than failing the event's cause."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass(frozen=True)
class Kind:
    code: str
    label: Any  # a lazily translated string
    render: Callable[[Params], tuple[str, str]]  # title and body, in the active language
    position: int  # where it stands in the lists of events
    robots: bool = True  # whether group robots may be set to hear it


_KINDS: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    for kind in kinds:
        known = _KINDS.get(kind.code)
        if known is not None and known != kind:
            raise ValueError(f"the notification kind {kind.code} is registered twice")
        _KINDS[kind.code] = kind


def all_kinds() -> list[Kind]:
    return sorted(_KINDS.values(), key=lambda kind: (kind.position, kind.code))


def robot_codes() -> list[str]:
    """The kinds a group robot may hear, in list order."""
    return [kind.code for kind in all_kinds() if kind.robots]


def robot_choices() -> list[tuple[str, Any]]:
    return [(kind.code, kind.label) for kind in all_kinds() if kind.robots]


def labels() -> dict[str, Any]:
    return {kind.code: kind.label for kind in all_kinds()}


def render(code: str, params: Mapping) -> tuple[str, str]:
    """Title and body of a message of the kind in the active language; an unknown kind shows its code."""
    kind = _KINDS.get(code)
    if kind is None:
        return code, ""
    return kind.render(Params(params))
