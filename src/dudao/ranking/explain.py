"""The numbers behind a village's composite and tier, read back from a stored round for the village page."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from dudao.ranking.models import SOURCES, Entry, Result, SourceName


@dataclass
class SourcePart:
    source: str
    label: str
    scope: str
    r: float | None = None
    n: int = 0
    p: float | None = None
    w: float = 0.0

    @property
    def covered(self) -> bool:
        return self.p is not None

    @property
    def wp(self) -> float:
        return self.w * (self.p or 0.0)

    @property
    def w_text(self) -> str:
        return f"{self.w:g}"

    @property
    def r_text(self) -> str:
        return f"{self.r:g}" if self.r is not None else ""


@dataclass
class Explanation:
    parts: list[SourcePart]
    sum_w: float
    sum_wp: float
    composite: float | None
    higher: int
    lower: int
    tied: int
    green: int
    red: int
    threshold: int

    @property
    def covered(self) -> list[SourcePart]:
        return [part for part in self.parts if part.covered]

    @property
    def at_or_below(self) -> int:
        return self.lower + self.tied

    @property
    def sum_w_text(self) -> str:
        return f"{self.sum_w:g}"


def explain(result: Result) -> Explanation:
    """The stored numbers behind a village's composite and tier, with each source's scope size from the entries."""
    round_ = result.round
    settings = round_.settings
    weights = settings.weights()
    parts = []
    for source in SOURCES:
        town_scope = source == SourceName.TOWN
        part = SourcePart(source, str(SourceName(source).label), result.town.name if town_scope else _("the county"),
                          w=weights[source])
        p = getattr(result, f"p_{source}")
        if p is not None:
            scope = Entry.objects.filter(round=round_, source=source)
            if town_scope:
                scope = scope.filter(unit__path__startswith=result.town.path)
            part.r, part.p, part.n = getattr(result, f"r_{source}"), p, scope.count()
        parts.append(part)
    covered = [p for p in parts if p.covered]
    sum_wp = 0.0
    for part in covered:
        sum_wp += part.wp
    same_round = Result.objects.filter(round=round_, composite__isnull=False)
    c = result.composite
    return Explanation(
        parts=parts, sum_w=sum(p.w for p in covered), sum_wp=sum_wp, composite=c,
        higher=same_round.filter(composite__gt=c).count() if c is not None else 0,
        lower=same_round.filter(composite__lt=c).count() if c is not None else 0,
        tied=same_round.filter(composite=c).count() if c is not None else 0,
        green=settings.green_count, red=settings.red_count, threshold=settings.escalation_threshold,
    )
