"""Scoped reads of inspections shared by the pages and the API."""

from django.db.models import Count, QuerySet

from dudao.inspections.access import inspections_visible_to
from dudao.inspections.models import Inspection


def inspections_filtered(user, *, week: str = "", town: str = "", village: str = "",
                         checklist_key: str = "") -> QuerySet[Inspection]:
    rows = inspections_visible_to(user)
    if week:
        rows = rows.filter(week=week)
    if town:
        rows = rows.filter(town__code=town)
    if village:
        rows = rows.filter(village__code=village)
    if checklist_key:
        rows = rows.filter(checklist__key=checklist_key)
    return rows


def villages_inspected_by_town(rows: QuerySet[Inspection], week: str) -> dict[int, int]:
    """Township id → how many of its villages the given inspections (already scoped to a user's area) of the week
    visited, counting only the inspections that count for the ranking. One aggregate query."""
    return dict(rows.filter(week=week, counts=True).order_by().values_list("town_id")
                .annotate(n=Count("village", distinct=True)))


def arrived_after_close(campaign, week: str) -> list[Inspection]:
    """The week's inspections that arrived once its ranking was published or awaited approval, and so are not
    counted in it (warning ``week_closed``): shown to the office on the round page. The week's uncounted ones
    are few; the warning is read in Python (a JSON list, which SQLite cannot search)."""
    rows = (Inspection.objects.filter(campaign=campaign, week=week, counts=False)
            .select_related("village", "town").order_by("received_at", "pk"))
    return [row for row in rows if "week_closed" in row.warnings]
