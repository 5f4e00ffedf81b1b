"""The rounds and interviews API (CONTRACTS §4): the rounds with their tier counts, one round with its checks, its
result rows exactly as `dudao ranking export` writes them for every published week of the demo, drafts for the
office only, the interviews with their filters, the refusals of bad input, and the error answers every endpoint
lists in the OpenAPI document. The role × township matrix of these endpoints is test_access_matrix_rounds.py."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from dudao.accounts.access import SYSTEM
from dudao.campaigns.services import campaign_get
from dudao.core import weeks
from dudao.interviews.models import Interview
from dudao.org.models import Unit
from dudao.publication import services as publication
from dudao.ranking import checks, services
from dudao.ranking.exports import EXPORT_COLUMNS
from dudao.ranking.models import Entry, Result, Round

# Every township ranks its villages by code, for a week (as the round tests do).
from .test_ranking_rounds import town_file

NOT_FOUND = "Not found, or outside your area."
STAFF_TOWN = "620423103000"  # 喜泉镇
STAFF_VILLAGE = "620423103200"  # 大水䃎村
NOT_OFFICE = ["leader", "inspector", "town_staff", "village_staff"]
OFFICE = ["county_admin", "office"]


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def export_json(week: str, tmp_path) -> list[dict]:
    """`dudao ranking export --week W --format json`, parsed."""
    target = tmp_path / f"{week}.json"
    call_command("ranking", "export", "--week", week, "--format", "json", "-o", str(target), stderr=io.StringIO())
    return json.loads(target.read_bytes())


def same_json(a, b) -> bool:
    """Equal as parsed and written again: the same keys in the same order and the same JSON types (1 is not
    1.0)."""
    return a == b and json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)


def published_weeks() -> list[str]:
    return list(Round.objects.filter(status="published").order_by("week_start").values_list("week", flat=True))


def draft_week() -> str:
    """The week after the demo's latest published one, computed as a draft."""
    week = weeks.add_weeks(published_weeks()[-1], 1)
    town_file(week)
    services.ranking_compute(actor=SYSTEM, campaign=campaign_get(), week=week)
    return week


# The results are the export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["office", "leader"])
def test_results_equal_the_export_for_every_published_week(role, users, client_for, tmp_path):
    client = client_for(users[role])
    listed = client.get("/api/v1/rounds").json()
    assert sorted(r["week"] for r in listed["items"] if r["state"] == "published") == sorted(published_weeks())
    for week in published_weeks():
        expected = export_json(week, tmp_path)
        response = client.get(f"/api/v1/rounds/{week}/results")
        assert response.status_code == 200
        body = response.json()
        assert list(body) == ["week", "revision", "state", "town", "results"]
        assert (body["week"], body["revision"], body["state"], body["town"]) == (week, 1, "published", None)
        assert len(body["results"]) == 151
        assert same_json(body["results"], expected), week
        assert list(body["results"][0]) == EXPORT_COLUMNS


def test_the_api_row_schema_has_the_export_s_keys(db):
    document = Client().get("/api/v1/openapi.json").json()
    assert list(document["components"]["schemas"]["ResultRow"]["properties"]) == EXPORT_COLUMNS


def test_results_of_one_township_are_its_rows_of_the_export(users, client_for, tmp_path):
    week = published_weeks()[-1]
    expected = [row for row in export_json(week, tmp_path) if row["town_code"] == STAFF_TOWN]
    body = client_for(users["office"]).get(f"/api/v1/rounds/{week}/results", {"town": STAFF_TOWN}).json()
    assert body["town"] == STAFF_TOWN
    assert len(expected) == Result.objects.filter(round__week=week, town__code=STAFF_TOWN).count() == 18
    assert same_json(body["results"], expected)


def test_a_town_filter_that_is_no_township_or_unknown_is_refused(users, client_for):
    week = published_weeks()[-1]
    client = client_for(users["office"])
    village = client.get(f"/api/v1/rounds/{week}/results", {"town": STAFF_VILLAGE}, HTTP_ACCEPT_LANGUAGE="en")
    assert (village.status_code, village.json()) == (422, {"detail": "大水䃎村 (620423103200) is not a township."})
    village = client.get(f"/api/v1/rounds/{week}/results", {"town": STAFF_VILLAGE})
    assert (village.status_code, village.json()) == (422, {"detail": "大水䃎村（620423103200）不是乡镇。"})
    unknown = client.get(f"/api/v1/rounds/{week}/results", {"town": "620423999000"})
    assert (unknown.status_code, unknown.json()) == (404, {"detail": zh(NOT_FOUND)})


@pytest.mark.parametrize("path", ["/api/v1/rounds/{week}", "/api/v1/rounds/{week}/results",
                                  "/api/v1/interviews?week={week}"])
def test_a_malformed_week_is_422_with_a_translated_message(path, users, client_for):
    client = client_for(users["office"])
    for week in ("2026W10", "2026-W54", "W10"):
        english = client.get(path.format(week=week), HTTP_ACCEPT_LANGUAGE="en")
        assert (english.status_code, english.json()) == (
            422, {"detail": f"“{week}” is not an ISO week such as 2026-W10."})
        chinese = client.get(path.format(week=week))
        assert (chinese.status_code, chinese.json()) == (422, {"detail": f"“{week}”不是 ISO 周格式（如 2026-W10）。"})


# The rounds -----------------------------------------------------------------------------------------------


def tier_counts(round_, unit_path: str = "") -> dict[str, int]:
    tiers = Counter(Result.objects.filter(round=round_, position__isnull=False, unit__path__startswith=unit_path)
                    .values_list("tier", flat=True))
    return {"green": tiers["green"], "yellow": tiers["yellow"], "red": tiers["red"]}


def test_the_office_lists_every_round_newest_first_with_its_tiers(users, client_for):
    week = draft_week()
    client = client_for(users["office"])
    body = client.get("/api/v1/rounds").json()
    rounds = list(Round.objects.order_by("-week_start", "-revision"))
    assert body["count"] == len(rounds) == len(published_weeks()) + 1
    assert [(r["week"], r["revision"], r["state"]) for r in body["items"]] == [
        (r.week, r.revision, r.status) for r in rounds]
    assert body["items"][0]["week"] == week and body["items"][0]["state"] == "computed"
    assert body["items"][0]["state_label"] == "已计算（草稿）"
    assert [r["counts"] for r in body["items"]] == [tier_counts(r) for r in rounds]
    assert body["items"][1]["counts"] == {"green": 30, "yellow": 91, "red": 30}
    page = client.get("/api/v1/rounds", {"limit": 2, "offset": 1}).json()
    assert (page["count"], page["items"]) == (body["count"], body["items"][1:3])


def test_one_round_with_its_settings_digest_and_checks(users, client_for):
    week = published_weeks()[-1]
    round_ = Round.objects.get(week=week)
    body = client_for(users["leader"]).get(f"/api/v1/rounds/{week}").json()
    assert {k: body[k] for k in ("week", "state", "revision", "settings_version", "export_digest", "counts")} == {
        "week": week, "state": "published", "revision": 1, "settings_version": round_.settings.version,
        "export_digest": round_.result_digest, "counts": {"green": 30, "yellow": 91, "red": 30}}
    assert len(body["export_digest"]) == 64
    assert body["checks"]["coverage"] == checks.coverage(round_)
    assert body["checks"]["agreement"] == [
        {"town": a.town.code, "town_name": a.town.name, "tau_b": a.tau_b, "pairs": a.pairs, "overlap": a.overlap,
         "flagged": a.flagged} for a in checks.agreement(round_)]
    assert len(body["checks"]["agreement"]) == 11
    assert body["checks"]["sensitivity"] == [
        {"source": f.source, "factor": f.factor, "villages": [u.code for u in f.units]}
        for f in checks.sensitivity(round_)]
    staff = client_for(users["town_staff"]).get(f"/api/v1/rounds/{week}").json()
    assert (staff["checks"], staff["counts"]) == (None, tier_counts(round_, Unit.objects.get(code=STAFF_TOWN).path))
    assert staff["export_digest"] == round_.result_digest


# Drafts ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_OFFICE)
def test_drafts_do_not_exist_for_anyone_but_the_office(role, users, client_for):
    week = draft_week()
    pending = weeks.add_weeks(week, 1)
    town_file(pending)
    services.ranking_compute(actor=SYSTEM, campaign=campaign_get(), week=pending)
    services.ranking_request_publication(actor=users["office"], campaign=campaign_get(), week=pending)
    client = client_for(users[role])
    listed = client.get("/api/v1/rounds").json()
    assert [r["week"] for r in listed["items"]] == list(reversed(published_weeks()))
    assert listed["count"] == len(published_weeks())
    unknown = client.get("/api/v1/rounds/2031-W01")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": zh(NOT_FOUND)})
    for draft in (week, pending):
        for path in (f"/api/v1/rounds/{draft}", f"/api/v1/rounds/{draft}/results"):
            response = client.get(path)
            assert (response.status_code, response.json()) == (404, {"detail": zh(NOT_FOUND)}), path
        assert client.get(f"/api/v1/rounds/{draft}", {"revision": 1}).status_code == 404


@pytest.mark.parametrize("role", OFFICE)
def test_the_office_reads_drafts_like_the_export(role, users, client_for, tmp_path):
    week = draft_week()
    client = client_for(users[role])
    detail = client.get(f"/api/v1/rounds/{week}").json()
    assert (detail["state"], detail["revision"]) == ("computed", 1)
    round_ = Round.objects.get(week=week)
    assert detail["checks"]["coverage"] == {
        source: Entry.objects.filter(round=round_, source=source).count() for source in ("town", "inspection", "drone")}
    assert detail["checks"]["coverage"]["town"] == 151
    assert same_json(client.get(f"/api/v1/rounds/{week}/results").json()["results"], export_json(week, tmp_path))


def test_a_revision_in_the_making_leaves_the_published_one_to_everyone_else(users, client_for):
    week = published_weeks()[-1]
    services.ranking_revise(actor=SYSTEM, campaign=campaign_get(), week=week, reason="喜泉镇报送有误")
    office = client_for(users["office"]).get(f"/api/v1/rounds/{week}").json()
    assert (office["state"], office["revision"], office["revision_reason"]) == ("collecting", 2, "喜泉镇报送有误")
    leader = client_for(users["leader"])
    shown = leader.get(f"/api/v1/rounds/{week}").json()
    assert (shown["state"], shown["revision"], shown["revision_reason"]) == ("superseded", 1, "")
    results = leader.get(f"/api/v1/rounds/{week}/results").json()
    assert (results["revision"], len(results["results"])) == (1, 151)
    assert leader.get(f"/api/v1/rounds/{week}", {"revision": 2}).status_code == 404
    assert [(r["week"], r["revision"]) for r in leader.get("/api/v1/rounds").json()["items"]
            if r["week"] == week] == [(week, 1)]


def test_publishing_a_draft_shows_it_to_everyone(users, client_for, tmp_path):
    week = draft_week()
    client = client_for(users["village_staff"])
    assert client.get(f"/api/v1/rounds/{week}").status_code == 404
    publication.round_publish(actor=SYSTEM, campaign=campaign_get(), week=week)
    rows = client.get(f"/api/v1/rounds/{week}/results").json()["results"]
    assert same_json(rows, [r for r in export_json(week, tmp_path) if r["code"] == STAFF_VILLAGE])
    assert len(rows) == 1


# Interviews -----------------------------------------------------------------------------------------------


def test_interviews_with_their_officials_villages_states_and_commitments(users, client_for):
    client = client_for(users["office"])
    interview = (Interview.objects.filter(commitments__isnull=False, person__isnull=False)
                 .select_related("round", "village__parent", "unit", "person", "post").order_by("pk").first())
    body = client.get("/api/v1/interviews", {"week": interview.round.week, "unit": interview.village.code,
                                             "limit": 1000}).json()
    found = next(i for i in body["items"] if i["id"] == interview.pk)
    assert {k: found[k] for k in ("week", "village", "village_name", "town", "unit", "role", "reason",
                                  "person_name", "post_title", "vacant", "state", "hold_by")} == {
        "week": interview.round.week, "village": interview.village.code, "village_name": interview.village.name,
        "town": interview.village.parent.code, "unit": interview.unit.code, "role": interview.role,
        "reason": interview.reason, "person_name": interview.person.name, "post_title": interview.post.title,
        "vacant": False, "state": interview.status, "hold_by": interview.hold_by.isoformat()}
    assert found["villages"] == [{"code": v.code, "name": v.name} for v in interview.village_list()]
    assert [(c["id"], c["text"], c["due_date"], c["state"]) for c in found["commitments"]] == [
        (c.pk, c.text, c.due_date.isoformat(), c.status) for c in interview.commitments.order_by("position", "pk")]
    assert found["commitments"]


@pytest.mark.parametrize(("filters", "rule"), [
    ({}, lambda i: True),
    ({"state": "held"}, lambda i: i.status == "held"),
    # A township or a village: the interviews about any red village under it, not only the main one.
    ({"unit": STAFF_TOWN}, lambda i: any(v.path.startswith(Unit.objects.get(code=STAFF_TOWN).path)
                                         for v in i.villages.all())),
    ({"unit": STAFF_VILLAGE, "state": "closed"},
     lambda i: STAFF_VILLAGE in {v.code for v in i.villages.all()} and i.status == "closed"),
])
def test_interview_filters(filters, rule, users, client_for):
    week = published_weeks()[-2]
    expected = [i.pk for i in Interview.objects.filter(round__week=week).select_related("village")
                .prefetch_related("villages").order_by("village__code", "reason", "role", "pk") if rule(i)]
    body = client_for(users["leader"]).get("/api/v1/interviews", {"week": week, "limit": 1000, **filters}).json()
    assert body["count"] == len(expected)
    assert [i["id"] for i in body["items"]] == expected


def test_interviews_newest_week_first_and_paged(users, client_for):
    client = client_for(users["office"])
    everything = client.get("/api/v1/interviews", {"limit": 1000}).json()
    assert everything["count"] == Interview.objects.count()
    starts = [weeks.week_start(i["week"]) for i in everything["items"]]
    assert starts == sorted(starts, reverse=True)
    page = client.get("/api/v1/interviews", {"limit": 5, "offset": 5}).json()
    assert [i["id"] for i in page["items"]] == [i["id"] for i in everything["items"][5:10]]


def test_bad_interview_filters_are_refused(users, client_for):
    client = client_for(users["office"])
    state = client.get("/api/v1/interviews", {"state": "done"}, HTTP_ACCEPT_LANGUAGE="en")
    assert (state.status_code, state.json()) == (
        422, {"detail": "“done” is not an interview state; use one of pending, scheduled, held, closed, cancelled."})
    state = client.get("/api/v1/interviews", {"state": "done"})
    assert (state.status_code, state.json()) == (
        422, {"detail": "“done”不是约谈状态，可选：pending, scheduled, held, closed, cancelled。"})
    unit = client.get("/api/v1/interviews", {"unit": "620423999999"})
    assert (unit.status_code, unit.json()) == (404, {"detail": zh(NOT_FOUND)})
    limit = client.get("/api/v1/interviews", {"limit": 0})
    assert (limit.status_code, [e["loc"] for e in limit.json()["errors"]]) == (422, [["query", "limit"]])


def test_inspectors_take_no_part_in_interviews(users, client_for):
    response = client_for(users["inspector"]).get("/api/v1/interviews")
    assert (response.status_code, response.json()) == (403, {"detail": zh("You may not see or change this.")})


# The OpenAPI document lists the error answers ----------------------------------------------------------


ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
NEW_ENDPOINTS = {
    "/api/v1/rounds": {"200", "401", "422"},
    "/api/v1/rounds/{week}": {"200", "401", "404", "422"},
    "/api/v1/rounds/{week}/results": {"200", "401", "404", "422"},
    "/api/v1/interviews": {"200", "401", "403", "404", "422"},
}


def test_the_openapi_document_lists_every_endpoint_s_error_answers(db):
    document = Client().get("/api/v1/openapi.json").json()
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"]
    assert list(error["properties"]) == ["detail", "code", "errors"]
    operations = [(path, method, operation) for path, methods in document["paths"].items()
                  for method, operation in methods.items()]
    assert len(operations) == 35
    for path, method, operation in operations:
        answers = operation["responses"]
        assert "401" in answers, (path, method)
        for status, answer in answers.items():
            schema = answer["content"]["application/json"]["schema"]
            assert (schema == ERROR_REF) is status.startswith("4"), (path, method, status)
        parameters = operation.get("parameters", [])
        typed = [p for p in parameters if p["in"] == "path"  # a number or a UUID, not any text
                 and (p["schema"]["type"] != "string" or "format" in p["schema"])]
        if any(p["in"] == "query" for p in parameters) or typed or "requestBody" in operation:
            assert "422" in answers, (path, method)
        if method != "get":  # a change over a session needs its CSRF token
            assert "403" in answers, (path, method)
    for path, statuses in NEW_ENDPOINTS.items():
        assert set(document["paths"][path]["get"]["responses"]) == statuses, path
    assert set(document["paths"]["/api/v1/units/{code}"]["get"]["responses"]) == {"200", "401", "404"}
    assert set(document["paths"]["/api/v1/drone/batches"]["post"]["responses"]) == {"201", "401", "403", "422"}
    assert set(document["paths"]["/api/v1/me"]["get"]["responses"]) == {"200", "401"}
