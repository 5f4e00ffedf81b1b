"""The people mobilised and the publicity on the ground (issue 16 items 4 and 5): every rule and refusal of the
services, with nothing written and nothing logged when refused; the counts per village and township; the demo's
synthetic records; the pages' forms (a refusal shown again with 422) and the dashboard's panel."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from dudao.accounts.access import SYSTEM
from dudao.accounts.models import Role
from dudao.accounts.services import user_save
from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.mobilise import selectors, services
from dudao.mobilise.models import Activity, Broadcast, VanTour, Volunteer
from dudao.org.models import Person, Post, Unit

DASHUI = "620423103200"  # 大水䃎村 (喜泉镇): demo_village's, with the demo's records
XIJISHUI = "620423103201"  # 喜集水村 (喜泉镇): nothing mobilised in the demo
XIQUAN = "620423103000"  # 喜泉镇: demo_town's
SHUIYUAN = "620423100200"  # 水源村 (一条山镇)
YITIAOSHAN = "620423100000"


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def grids_of(code: str) -> list[Unit]:
    return list(Unit.objects.filter(level="grid", path__startswith=unit(code).path).order_by("code"))


def today() -> dt.date:
    return timezone.localdate()


def register(actor, village=XIJISHUI, *, name="王党员", phone="13912345678", kind="party_member", since=None,
             grid=None):
    return services.volunteer_register(actor=actor, campaign=campaign_get(), village=unit(village), name=name,
                                       phone=phone, kind=kind, since=since or today() - dt.timedelta(days=30),
                                       grid=grid)


def written() -> tuple[int, ...]:
    return (Person.objects.count(), Volunteer.objects.count(), Activity.objects.count(), Broadcast.objects.count(),
            VanTour.objects.count(), AuditEvent.objects.count())


def refused_code(call) -> str:
    before = written()
    with pytest.raises(Refused) as caught:
        call()
    assert written() == before
    return caught.value.code


def denied(call) -> None:
    before = written()
    with pytest.raises(PermissionDenied):
        call()
    assert written() == before


# Volunteers ---------------------------------------------------------------------------------------------------

def test_the_village_registers_a_party_member_in_one_of_its_grids(users):
    village_user = users["village_staff"]
    grid = grids_of(DASHUI)[0]
    events = AuditEvent.objects.count()
    volunteer = register(village_user, DASHUI, grid=grid, phone="139 1234 5678")
    assert (volunteer.person.name, volunteer.person.phone, volunteer.kind, volunteer.village.code,
            volunteer.grid_id, volunteer.by_id, volunteer.by_label) == (
        "王党员", "13912345678", "party_member", DASHUI, grid.pk, village_user.pk, "demo_village")
    logged = list(AuditEvent.objects.filter(seq__gt=0).order_by("-seq")[:2])[::-1]
    assert AuditEvent.objects.count() == events + 2
    assert [(e.action, e.object_id, e.actor_label) for e in logged] == [
        ("person.create", str(volunteer.person_id), "user:demo_village"),
        ("volunteer.register", str(volunteer.pk), "user:demo_village")]
    assert logged[1].after == {"person": volunteer.person_id, "kind": "party_member", "village": DASHUI,
                               "grid": grid.code, "since": volunteer.since.isoformat(), "synthetic": False}


def test_a_known_phone_is_the_same_person_and_another_name_is_refused(users):
    office = users["office"]
    first = register(office, kind="party_member")
    second = register(office, kind="reserve_cadre")
    assert second.person_id == first.person_id
    assert AuditEvent.objects.order_by("-seq").first().action == "volunteer.register"
    with translation.override("en"):
        with pytest.raises(Refused) as caught:
            register(office, name="李四", kind="activist")
    assert (caught.value.code, caught.value.message) == (
        "phone_other_name", "Phone: this number belongs to a person of another name.")


def test_the_same_person_is_registered_once_per_kind(users):
    register(users["office"])
    assert refused_code(lambda: register(users["office"])) == "already_registered"


def test_a_grid_must_lie_in_the_village(users):
    other = grids_of(SHUIYUAN)[0]
    with translation.override("en"):
        with pytest.raises(Refused) as caught:
            register(users["office"], grid=other)
    assert (caught.value.code, caught.value.message) == (
        "grid_outside_village", f"Grid: {other.name} is not a grid of 喜集水村.")
    # A unit that is no grid is refused the same way, even one in the village's path (the village itself).
    assert refused_code(lambda: register(users["office"], grid=unit(XIJISHUI))) == "grid_outside_village"
    assert Volunteer.objects.filter(village__code=XIJISHUI).count() == 0


@pytest.mark.parametrize(("field", "value", "code"), [
    ("kind", "cadre", "bad_kind"),
    ("phone", "12345", "bad_phone"),
    ("name", "  ", "name_required"),
    ("name", "名" * 51, "name_too_long"),
    ("since", "future", "since_future"),
])
def test_bad_registrations_are_refused_naming_the_field(users, field, value, code):
    kwargs = {field: value}
    if field == "since":
        kwargs["since"] = today() + dt.timedelta(days=1)
    assert refused_code(lambda: register(users["office"], **kwargs)) == code


def test_a_registration_without_a_date_is_refused(users):
    def call():
        return services.volunteer_register(actor=users["office"], campaign=campaign_get(), village=unit(XIJISHUI),
                                           name="王党员", phone="13912345678", kind="activist", since=None)
    assert refused_code(call) == "since_required"


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff"])
def test_only_the_village_and_the_office_register(users, role):
    denied(lambda: register(users[role], DASHUI))


def test_the_village_registers_only_at_its_own_village(users):
    denied(lambda: register(users["village_staff"], XIJISHUI))
    assert register(users["office"], SHUIYUAN).village.code == SHUIYUAN


# Activities ---------------------------------------------------------------------------------------------------

def record(actor, volunteer, kind="cleanup", *, date=None, households=None, note=""):
    return services.activity_record(actor=actor, volunteer=volunteer, kind=kind, date=date or today(),
                                    households=households, note=note)


@pytest.fixture
def volunteer(users):
    return register(users["village_staff"], DASHUI, grid=grids_of(DASHUI)[0])


def test_an_activity_is_recorded_once_per_person_kind_and_day(users, volunteer):
    village_user = users["village_staff"]
    activity = record(village_user, volunteer, "leaflet_visit", households=8, note="  发放倡议书 ")
    assert (activity.kind, activity.households, activity.note, activity.date) == ("leaflet_visit", 8, "发放倡议书",
                                                                                  today())
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_id, event.after) == ("activity.record", str(activity.pk), {
        "volunteer": volunteer.pk, "kind": "leaflet_visit", "date": today().isoformat(), "households": 8,
        "note": "发放倡议书"})
    with translation.override("en"):
        with pytest.raises(Refused) as caught:
            record(village_user, volunteer, "leaflet_visit", households=3)
    assert (caught.value.code, caught.value.message) == (
        "already_recorded", f"王党员's visited households with leaflets on {today().isoformat()} is already recorded.")
    # Another kind the same day, and the same kind the day before, are other records.
    record(village_user, volunteer, "cleanup")
    record(village_user, volunteer, "leaflet_visit", date=today() - dt.timedelta(days=1), households=2)
    assert Activity.objects.filter(volunteer=volunteer).count() == 3


@pytest.mark.parametrize(("kind", "households", "code"), [
    ("leaflet_visit", None, "households_required"),
    ("leaflet_visit", 0, "households_required"),
    ("leaflet_visit", -1, "households_required"),
    ("cleanup", 3, "households_not_leaflets"),
    ("problem_report", 1, "households_not_leaflets"),
    ("planting", None, "bad_kind"),
])
def test_households_are_counted_for_leaflet_visits_only(users, volunteer, kind, households, code):
    assert refused_code(lambda: record(users["village_staff"], volunteer, kind, households=households)) == code


def test_an_activity_needs_a_day_between_the_registration_and_today(users, volunteer):
    actor = users["village_staff"]
    assert refused_code(lambda: record(actor, volunteer, date=today() + dt.timedelta(days=1))) == "date_future"
    assert refused_code(lambda: record(actor, volunteer, date=volunteer.since - dt.timedelta(days=1))) == \
        "before_since"
    assert refused_code(lambda: services.activity_record(actor=actor, volunteer=volunteer, kind="cleanup",
                                                         date=None)) == "date_required"
    assert refused_code(lambda: record(actor, volunteer, note="x" * 201)) == "note_too_long"
    assert record(actor, volunteer, date=volunteer.since).date == volunteer.since


@pytest.fixture
def grid_user(db):
    grid = grids_of(DASHUI)[0]
    leader = Post.objects.get(unit=grid, role="grid_leader").person
    return user_save(actor=SYSTEM, username=leader.phone, role=Role.GRID, scope_unit=grid, person=leader,
                     password="grid-demo-2026-x")


def test_the_grid_person_records_for_their_grids_people_only(users, volunteer, grid_user):
    assert record(grid_user, volunteer, "problem_report").by_label == grid_user.username
    elsewhere = register(users["village_staff"], DASHUI, name="李积极", phone="13912345679", kind="activist",
                         grid=grids_of(DASHUI)[1])
    no_grid = register(users["village_staff"], DASHUI, name="张后备", phone="13912345670", kind="reserve_cadre")
    denied(lambda: record(grid_user, elsewhere))
    denied(lambda: record(grid_user, no_grid))


@pytest.mark.parametrize("role", ["leader", "inspector", "town_staff"])
def test_readers_record_no_activity(users, volunteer, role):
    denied(lambda: record(users[role], volunteer))


def test_the_office_records_anywhere_and_a_village_only_its_own(users):
    elsewhere = register(users["office"], SHUIYUAN)
    assert record(users["office"], elsewhere).volunteer_id == elsewhere.pk
    denied(lambda: record(users["village_staff"], elsewhere))


# Loudspeakers and vans ---------------------------------------------------------------------------------------

def schedule(actor, village=DASHUI, *, place="村口", times="07:30,12:00,19:00", text="垃圾入桶", first=None,
             last=None):
    first = first or today()
    return services.broadcast_schedule(actor=actor, campaign=campaign_get(), village=unit(village), place=place,
                                       times=times, text=text, date_from=first,
                                       date_to=last or first + dt.timedelta(days=10))


def test_a_loudspeaker_schedule_keeps_its_times_sorted_once(users):
    broadcast = schedule(users["village_staff"], times="19:00，07:30 12:00,07:30")
    assert (broadcast.times, broadcast.time_list, broadcast.place) == ("07:30,12:00,19:00",
                                                                       ["07:30", "12:00", "19:00"], "村口")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_id, event.after["times"], event.after["village"]) == (
        "broadcast.schedule", str(broadcast.pk), "07:30,12:00,19:00", DASHUI)


@pytest.mark.parametrize(("times", "item"), [("7:30", "7:30"), ("07:30,24:00", "24:00"), ("07:60", "07:60"),
                                             ("07:30,noon", "noon"), ("0730", "0730")])
def test_times_not_hh_mm_are_refused_naming_the_time(users, times, item):
    with translation.override("en"):
        with pytest.raises(Refused) as caught:
            schedule(users["village_staff"], times=times)
    assert (caught.value.code, caught.value.message) == (
        "bad_time", f"Times: “{item}” is not a time of day as HH:MM (e.g. 07:30).")
    assert Broadcast.objects.filter(village__code=DASHUI, synthetic=False).count() == 0


def test_bad_schedules_are_refused(users):
    actor = users["village_staff"]
    assert refused_code(lambda: schedule(actor, times=" , ")) == "times_required"
    assert refused_code(lambda: schedule(actor, place="")) == "place_required"
    assert refused_code(lambda: schedule(actor, text=" ")) == "text_required"
    assert refused_code(lambda: schedule(actor, first=today(), last=today() - dt.timedelta(days=1))) == \
        "to_before_from"
    assert refused_code(lambda: schedule(actor, times=",".join(f"{h:02d}:00" for h in range(24)) + ",23:30")) == \
        "too_many_times"
    assert schedule(actor, first=today(), last=today()).date_to == today()


def test_schedules_are_the_villages_and_the_offices(users):
    denied(lambda: schedule(users["village_staff"], XIJISHUI))
    denied(lambda: schedule(users["town_staff"], DASHUI))
    assert schedule(users["office"], SHUIYUAN).village.code == SHUIYUAN


def tour(actor, code=XIQUAN, *, hours=2, start=None):
    start = start or timezone.now().replace(microsecond=0)
    return services.van_tour_record(actor=actor, campaign=campaign_get(), unit=unit(code), starts_at=start,
                                    ends_at=start + dt.timedelta(hours=hours), route="镇区—各村")


def test_a_van_tour_ends_after_it_starts(users):
    assert refused_code(lambda: tour(users["town_staff"], hours=0)) == "end_before_start"
    assert refused_code(lambda: tour(users["town_staff"], hours=-1)) == "end_before_start"
    assert refused_code(lambda: services.van_tour_record(
        actor=users["town_staff"], campaign=campaign_get(), unit=unit(XIQUAN), starts_at=None,
        ends_at=timezone.now(), route="x")) == "start_required"
    made = tour(users["town_staff"])
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_id, event.after["unit"], event.after["route"]) == (
        "van_tour.record", str(made.pk), XIQUAN, "镇区—各村")


def test_who_records_a_van_tour(users):
    assert tour(users["town_staff"], DASHUI).unit.code == DASHUI
    assert tour(users["village_staff"], DASHUI).unit.code == DASHUI
    assert tour(users["office"], YITIAOSHAN).unit.code == YITIAOSHAN
    denied(lambda: tour(users["town_staff"], YITIAOSHAN))
    denied(lambda: tour(users["village_staff"], XIQUAN))
    denied(lambda: tour(users["leader"]))
    denied(lambda: tour(users["office"], grids_of(DASHUI)[0].code))


# Counts -----------------------------------------------------------------------------------------------------

def test_the_counts_per_village_and_township(users):
    office = users["office"]
    campaign = campaign_get()
    monday = today() - dt.timedelta(days=today().weekday())
    before_town = selectors.counts_by(office, campaign, by="town")[unit(XIQUAN).pk]
    party = register(office, XIJISHUI, since=monday - dt.timedelta(days=30))
    activist = register(office, XIJISHUI, name="李积极", phone="13912345679", kind="activist",
                        since=monday - dt.timedelta(days=30))
    record(office, party, "leaflet_visit", date=monday, households=10)
    record(office, activist, "leaflet_visit", date=monday, households=5)
    record(office, party, "leaflet_visit", date=monday - dt.timedelta(days=1), households=7)  # last week
    record(office, party, "cleanup", date=monday - dt.timedelta(days=8))
    record(office, activist, "problem_report", date=monday)
    schedule(office, XIJISHUI, first=today(), last=today())  # on air today
    schedule(office, XIJISHUI, first=today() - dt.timedelta(days=9), last=today() - dt.timedelta(days=1))  # over
    schedule(office, XIJISHUI, first=today() + dt.timedelta(days=1))  # not yet
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time(9)))
    tour(office, XIJISHUI, start=start)
    tour(office, XIJISHUI, start=start - dt.timedelta(days=3))  # last week
    tour(office, XIQUAN, start=start)  # the township's own: not the village's

    village = selectors.counts_by(office, campaign, by="village")[unit(XIJISHUI).pk]
    assert (village.volunteers, village.week, village.total) == (
        {"party_member": 1, "activist": 1, "reserve_cadre": 0},
        {"cleanup": 0, "problem_report": 1, "leaflet_visit": 2},
        {"cleanup": 1, "problem_report": 1, "leaflet_visit": 3})
    assert (village.households_week, village.households_total, village.broadcasts_active, village.vans_week,
            village.vans_total, village.volunteers_total) == (15, 22, 1, 1, 2, 2)

    town = selectors.counts_by(office, campaign, by="town")[unit(XIQUAN).pk]
    assert town.volunteers["party_member"] - before_town.volunteers["party_member"] == 1
    assert town.volunteers["activist"] - before_town.volunteers["activist"] == 1
    assert town.households_total - before_town.households_total == 22
    assert town.broadcasts_active - before_town.broadcasts_active == 1
    assert (town.vans_week - before_town.vans_week, town.vans_total - before_town.vans_total) == (2, 3)
    # The village's own staff see the same row for their village, and nothing of the others.
    mine = selectors.counts_by(users["village_staff"], campaign, by="village")
    assert set(mine) == {unit(DASHUI).pk}
    assert selectors.area_totals(users["village_staff"], campaign) == mine[unit(DASHUI).pk]


def test_the_demo_mobilises_synthetic_people_in_dashui(users):
    campaign = campaign_get()
    dashui = Volunteer.objects.filter(village__code=DASHUI)
    assert sorted(dashui.values_list("kind", flat=True)) == ["activist", "party_member", "party_member",
                                                             "reserve_cadre"]
    assert not Volunteer.objects.filter(synthetic=False).exists()
    assert all(v.person.synthetic and v.person.phone.startswith("1008") and v.grid is not None for v in dashui)
    assert Activity.objects.filter(synthetic=True).count() == 8
    broadcast = Broadcast.objects.get(village__code=DASHUI)
    assert (broadcast.synthetic, broadcast.times, "演示数据" in broadcast.text) == (True, "07:30,12:00,19:00", True)
    van = VanTour.objects.get()
    assert (van.unit.code, van.synthetic, "演示数据" in van.route) == (XIQUAN, True, True)
    totals = selectors.area_totals(users["office"], campaign)
    assert (totals.volunteers_total, totals.broadcasts_active, totals.vans_total) == (6, 1, 1)


# Pages -------------------------------------------------------------------------------------------------------

def test_the_village_page_registers_and_records_and_shows_the_counts(client_for, users):
    client = client_for(users["village_staff"])
    url = f"/mobilise/village/{DASHUI}/"
    grid = grids_of(DASHUI)[2]
    answer = client.post(url, {"form": "volunteer", "name": "王党员", "phone": "13912345678",
                               "kind": "party_member", "grid": grid.code, "since": today().isoformat()})
    assert (answer.status_code, answer["Location"]) == (303, url)
    volunteer = Volunteer.objects.get(person__phone="13912345678")
    assert (volunteer.grid_id, volunteer.village.code) == (grid.pk, DASHUI)
    before = selectors.counts_by(users["village_staff"], campaign_get(), by="village")[unit(DASHUI).pk]
    answer = client.post(url, {"form": "activity", "volunteer": volunteer.pk, "kind": "leaflet_visit",
                               "date": today().isoformat(), "households": "6", "note": ""})
    assert answer.status_code == 303
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<article id="count-households"><header>入户户数</header><p class="big">{before.households_week + 6}</p>' in html
    assert "王党员" in html and "139****5678" in html


def test_a_refused_form_is_shown_again_with_its_values(client_for, users):
    client = client_for(users["village_staff"])
    answer = client.post(f"/mobilise/village/{DASHUI}/", {
        "form": "broadcast", "place": "村委会", "times": "7点", "text": "垃圾入桶", "date_from": "2026-12-01",
        "date_to": "2026-12-31"}, HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 422
    html = answer.content.decode()
    assert 'id="mobilise-error" data-form="broadcast">Times: “7点” is not a time of day as HH:MM (e.g. 07:30).' in html
    assert 'name="place" maxlength="100" value="村委会"' in html
    grid_elsewhere = grids_of(SHUIYUAN)[0].code
    answer = client.post(f"/mobilise/village/{DASHUI}/", {"form": "volunteer", "name": "王", "phone": "13912345678",
                                                           "kind": "activist", "grid": grid_elsewhere,
                                                           "since": "2026-01-01"})
    assert answer.status_code == 404  # a grid outside the user's area is not found
    assert not Volunteer.objects.filter(person__phone="13912345678").exists()


def test_the_dashboard_shows_the_panel(client_for, users):
    html = client_for(users["town_staff"]).get("/dashboard/").content.decode()
    totals = selectors.area_totals(users["town_staff"], campaign_get())
    assert 'id="dashboard-mobilise"' in html
    assert f'<article id="count-party_member"><header>党员</header><p class="big">{totals.volunteers["party_member"]}</p>' in html
    assert totals.volunteers["party_member"] == 2
