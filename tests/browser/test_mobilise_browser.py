"""People mobilised in a real browser on a phone, with screenshots (in this run's pytest temporary folder): the
village registers a party member in one of its grids, records the households they visited with leaflets, and the
village's counts and the dashboard's panel show it."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DASHUI = "620423103200"  # 大水䃎村: demo_village's village


def test_the_village_registers_a_party_member_records_a_leaflet_visit_and_the_counts_show_it(signed_in, server_db,
                                                                                            tmp_path):
    from dudao.mobilise.models import Activity, Volunteer

    page = signed_in("demo_village", viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto("/mobilise/")  # the village staff land on their village
    page.wait_for_url(f"**/mobilise/village/{DASHUI}/")
    expect(page.locator("h1")).to_have_text("大水䃎村")
    households = int(page.locator("#count-households .big").inner_text())
    party = int(page.locator("#count-party_member .big").inner_text())

    page.locator("#mobilise-people summary").click()
    form = page.locator("#volunteer-form")
    form.locator("input[name=name]").fill("马党员")
    form.locator("input[name=phone]").fill("13987654321")
    form.locator("select[name=kind]").select_option("party_member")
    form.locator("select[name=grid]").select_option(label="第二网格")
    page.screenshot(path=str(tmp_path / "mobilise-register-phone.png"), full_page=True)
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_contain_text("马党员")
    expect(page.locator("#count-party_member .big")).to_have_text(str(party + 1))
    volunteer = Volunteer.objects.using(server_db).get(person__phone="13987654321")
    assert (volunteer.kind, volunteer.village.code, volunteer.grid.name) == ("party_member", DASHUI, "第二网格")

    page.locator("#mobilise-activities summary").click()
    form = page.locator("#activity-form")
    form.locator("select[name=volunteer]").select_option(str(volunteer.pk))
    form.locator("select[name=kind]").select_option("leaflet_visit")
    form.locator("input[name=households]").fill("9")
    form.locator("input[name=note]").fill("发放倡议书")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_contain_text("马党员")
    expect(page.locator("#count-households .big")).to_have_text(str(households + 9))
    expect(page.locator("#activities li").first).to_contain_text("马党员")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "mobilise-counts-phone.png"), full_page=True)
    activity = Activity.objects.using(server_db).get(volunteer=volunteer)
    assert (activity.kind, activity.households, activity.date) == ("leaflet_visit", 9, timezone.localdate())

    page.goto("/dashboard/")
    expect(page.locator("#dashboard-mobilise #count-party_member .big")).to_have_text(str(party + 1))
    page.locator("#dashboard-mobilise").screenshot(path=str(tmp_path / "mobilise-dashboard-panel.png"))
