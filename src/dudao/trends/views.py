"""The trend pages: /trends/village/<code>/, /trends/town/<code>/, /trends/transitions/ (?week=W for one pair of
weeks), each with /export.csv and /export.xlsx of the numbers the page shows. Scoped to the user's area (a unit
outside it is a 404); published weeks only, drafts too for the office (tables.statuses_for)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.http import urlencode

from dudao.accounts import access
from dudao.campaigns.services import campaign_get
from dudao.core.http import download
from dudao.core.tables import write_csv, write_xlsx
from dudao.org.access import town_of, unit_visible_or_404
from dudao.trends import tables

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _signed_in(request) -> None:
    if access.effective_role(request.user) is None:
        raise PermissionDenied


def _village(request, code: str):
    _signed_in(request)
    unit = unit_visible_or_404(request.user, code)
    if not unit.is_ranked:
        raise Http404
    campaign = campaign_get()
    return unit, tables.village_table(unit, tables.rounds_for(request.user, campaign))


def _town(request, code: str):
    _signed_in(request)
    unit = unit_visible_or_404(request.user, code)
    if unit.level != "town":
        raise Http404
    campaign = campaign_get()
    return unit, tables.town_table(request.user, unit, tables.rounds_for(request.user, campaign))


def _transitions(request):
    _signed_in(request)
    campaign = campaign_get()
    rounds = tables.rounds_for(request.user, campaign)
    pairs = tables.pair_weeks(rounds)
    week = request.GET.get("week", "").strip()
    if week and week not in {after for _before, after in pairs}:
        raise Http404
    return week, pairs, tables.transitions_table(request.user, rounds, week)


def _export(table: tables.Table, fmt: str, name: str, sheet: str):
    if fmt == "csv":
        data = write_csv(table.header, table.rows)
    elif fmt == "xlsx":
        data = write_xlsx([(sheet[:31], table.header, table.rows)])
    else:
        raise Http404
    return download(data, f"{name}.{fmt}", CONTENT_TYPES[fmt])


@login_required
def village(request, code: str):
    unit, table = _village(request, code)
    return render(request, "trends/village.html", {"unit": unit, "town": town_of(unit), "table": table,
                                                  "export_base": request.path + "export"})


@login_required
def village_export(request, code: str, fmt: str):
    unit, table = _village(request, code)
    return _export(table, fmt, f"trend-village-{unit.code}", unit.name)


@login_required
def town(request, code: str):
    unit, table = _town(request, code)
    return render(request, "trends/town.html", {"unit": unit, "table": table, "export_base": request.path + "export"})


@login_required
def town_export(request, code: str, fmt: str):
    unit, table = _town(request, code)
    return _export(table, fmt, f"trend-town-{unit.code}", unit.name)


@login_required
def transitions(request):
    week, pairs, table = _transitions(request)
    return render(request, "trends/transitions.html", {"week": week, "pairs": pairs, "table": table,
                                                       "export_base": request.path + "export",
                                                       "query": urlencode({"week": week}) if week else ""})


@login_required
def transitions_export(request, fmt: str):
    week, _pairs, table = _transitions(request)
    return _export(table, fmt, f"trend-transitions-{week or 'all'}", week or "all")
