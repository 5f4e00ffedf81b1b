"""State machines as tables: every lifecycle of Dudao (the weekly round, a problem, an interview, a commitment) is
one `Lifecycle` of named transitions, each from a set of statuses to one status, optionally naming the parties who
may take it. Pure: no Django.

The services check a transition here before they change anything; an illegal move is `TransitionRefused`, which
they turn into a translated refusal (dudao.core.errors.Refused) for people.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


class TransitionRefused(Exception):
    def __init__(self, transition: str, status: str) -> None:
        super().__init__(f"{transition} is not allowed from {status}")
        self.transition = transition
        self.status = status


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    # Who may take it ("office", "unit", "system", …); empty when the services decide by other rules.
    parties: frozenset[str] = frozenset()


def transition(sources: Iterable[str], target: str, parties: Iterable[str] = ()) -> Transition:
    return Transition(frozenset(sources), target, frozenset(parties))


class Lifecycle:
    """A table of transitions; the table's order is the order buttons and lists show them in."""

    def __init__(self, statuses: Iterable[str], transitions: Mapping[str, Transition]) -> None:
        self.statuses = tuple(statuses)
        self.transitions = dict(transitions)
        unknown = {s for t in self.transitions.values() for s in (*t.sources, t.target)} - set(self.statuses)
        if unknown:
            raise ValueError(f"transitions name unknown statuses {sorted(unknown)}")

    def next_status(self, status: str, name: str) -> str:
        """The status after the transition, or TransitionRefused (unknown transitions too)."""
        found = self.transitions.get(name)
        if found is None or status not in found.sources:
            raise TransitionRefused(name, status)
        return found.target

    def allowed(self, status: str, parties: Iterable[str] | None = None) -> list[str]:
        """The transitions that may start from the status (only those one of the parties may take, if given)."""
        wanted = None if parties is None else set(parties)
        return [name for name, t in self.transitions.items()
                if status in t.sources and (wanted is None or t.parties & wanted)]

    def may(self, name: str, parties: Iterable[str]) -> bool:
        """Whether one of the parties may take the transition (whatever the state)."""
        found = self.transitions.get(name)
        return found is not None and bool(found.parties & set(parties))

    def sources(self, name: str) -> frozenset[str]:
        return self.transitions[name].sources
