"""Scoped reads of inspections shared by the pages and the API."""

from django.db.models import QuerySet

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
