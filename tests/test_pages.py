"""The web pages people use: home per role, unit tree and search, unit pages, imports, people and groups."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from dudao.audit.models import AuditEvent
from dudao.org.models import GroupMember, Person, Post, Unit, WorkingGroup


@pytest.fixture
def admin(users, client_for):
    return client_for(users["county_admin"])


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("county_admin", "County administrator"),
        ("office", "Campaign office"),
        ("inspector", "Inspector: your townships are 一条山镇."),
        ("town_staff", "Township staff of 喜泉镇."),
        ("village_staff", "Village staff of 大水䃎村."),
    ],
)
def test_home_page_per_role(users, client_for, role, expected):
    client = client_for(users[role])
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_the_leaders_home_is_the_dashboard(users, client_for):
    response = client_for(users["leader"]).get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response["Location"]) == (302, "/dashboard/")


def test_pages_have_a_favicon(admin):
    body = admin.get("/units/").content.decode()
    assert '<link rel="icon" href="/static/dudao/favicon.svg" type="image/svg+xml">' in body
    icon = Client().get("/static/dudao/favicon.svg")
    assert icon.status_code == 200
    svg = b"".join(icon.streaming_content)
    assert svg.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"') and icon["Content-Type"] == "image/svg+xml"
    legacy = Client().get("/favicon.ico")
    assert (legacy.status_code, legacy["Location"]) == (301, "/static/dudao/favicon.svg")


def test_pages_are_for_phones(admin):
    body = admin.get("/units/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert "/static/vendor/htmx.min.js" in body and "https://" not in body.split("<body>")[0]


def test_unit_tree_and_search_by_pinyin_initials(admin):
    tree = admin.get("/units/").content.decode()
    assert tree.count('href="/units/6204') == Unit.objects.count()  # with the demo's villager groups and grids
    found = admin.get("/units/search/", {"q": "dsz"}).content.decode()
    assert 'href="/units/620423103200/">大水䃎村</a>' in found
    assert admin.get("/units/search/", {"q": "DSZ"}).content.decode().count('href="/units/') == \
        found.count('href="/units/')
    assert 'href="/units/620423100000/">一条山镇</a>' in admin.get("/units/search/", {"q": "一条山"}).content.decode()
    assert 'href="/units/620423103200/"' in admin.get("/units/search/", {"q": "dashui"}).content.decode()
    assert 'href="/units/620423103200/"' in admin.get("/units/search/", {"q": "620423103200"}).content.decode()
    none = admin.get("/units/search/", {"q": "zzzz"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No unit matches “zzzz”." in none


def test_unit_page_shows_posts_synthetic_point_and_history(admin):
    body = admin.get("/units/620423103200/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>大水䃎村" in body
    assert "synthetic" in body
    assert body.count("<td>village main leader</td>") >= 2
    assert "unit.create" in body


def test_unit_edit_is_audited(admin):
    response = admin.post("/units/620423103200/edit/", {"name": "大水䃎村", "official_name": "大水䃎村民委员会",
                                                        "active": "", "lon": "", "lat": "", "point_datum": ""})
    assert response.status_code == 302
    unit = Unit.objects.get(code="620423103200")
    assert (unit.active, unit.lon) == (False, None)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor_label, event.after["active"]) == ("unit.update", "user:demo_admin", False)


def test_unit_edit_refuses_a_half_point(admin):
    response = admin.post("/units/620423103200/edit/", {"name": "大水䃎村", "active": "on", "lon": "104.1",
                                                        "lat": "", "point_datum": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "A point needs a longitude, a latitude and a datum." in response.content.decode()


def test_import_page_shows_row_errors_and_writes_nothing(admin):
    count = Unit.objects.count()
    upload = io.BytesIO("code,name,level,parent_code\n62042310320,甲村,village,620423103000\n".encode())
    upload.name = "bad.csv"
    response = admin.post("/units/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert "<td>2</td><td>code “62042310320” is not a code of 12 digits.</td>" in body
    assert Unit.objects.count() == count


def test_import_page_success_redirects_with_summary(admin):
    upload = io.BytesIO("代码,名称,层级,上级代码\n620423103299,新村,村,620423103000\n".encode("gb18030"))
    upload.name = "new.csv"
    response = admin.post("/units/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Imported: 1 created, 0 updated, 0 unchanged." in response.content.decode()
    assert Unit.objects.get(code="620423103299").parent.code == "620423103000"


def test_unit_template_and_exports(admin):
    template = load_workbook(io.BytesIO(admin.get("/units/template.xlsx").content))
    assert [c.value for c in template.worksheets[0][1]][:4] == ["code", "name", "level", "parent_code"]
    assert template.worksheets[0]["B4"].value == "大水䃎村"
    gb = admin.get("/units/export.csv", {"encoding": "gb18030", "headers": "zh"})
    assert gb["Content-Type"] == "text/csv; charset=gb18030"
    assert gb.content.decode("gb18030").startswith("代码,名称,层级,上级代码")
    assert "大水䃎村".encode("gb18030") in gb.content
    xlsx = load_workbook(io.BytesIO(admin.get("/units/export.xlsx").content)).active
    assert xlsx.max_row == Unit.objects.count() + 1  # the header and every unit, grids and groups included
    assert admin.get("/units/export.pdf").status_code == 404


def test_person_lifecycle_through_pages(admin):
    response = admin.post("/people/new/", {"name": "测试人员", "phone": "139 0000 0099"})
    person = Person.objects.get(phone="13900000099")
    assert response["Location"] == f"/people/{person.pk}/"
    response = admin.post(f"/people/{person.pk}/posts/new/", {"unit": "620423103200", "role": "cleaner",
                                                               "title": "保洁员", "start_date": "2026-01-01"})
    assert response.status_code == 302
    post = Post.objects.get(person=person)
    response = admin.post(f"/posts/{post.pk}/end/", {"end_date": "2026-06-30"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert str(post.end_date) == "2026-06-30"
    actions = list(AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[:3])
    assert actions == ["post.end", "post.create", "person.create"]
    page = admin.get(f"/people/{person.pk}/").content.decode()
    assert "13900000099" in page and "2026-06-30" in page


def test_duplicate_phone_is_shown_as_a_form_error(admin):
    existing = Person.objects.first()
    response = admin.post("/people/new/", {"name": "重复", "phone": existing.phone}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Another person already has this phone number." in response.content.decode()


def test_people_import_page_and_template(admin):
    upload = io.BytesIO("姓名,手机号,单位代码,岗位,开始日期\n网格甲,13900000098,620423103200,网格员,2026-02-01\n"
                        .encode())
    upload.name = "people.csv"
    response = admin.post("/people/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "Imported: 2 created, 0 updated, 0 unchanged." in response.content.decode()
    assert Post.objects.get(person__phone="13900000098").role == "grid_worker"


def test_group_management(admin):
    response = admin.post("/groups/new/", {"kind": "special", "name": "垃圾治理专项组", "duties": "", "active": "on",
                                           "towns": []})
    group = WorkingGroup.objects.get(name="垃圾治理专项组")
    assert response["Location"] == f"/groups/{group.pk}/"
    person = Person.objects.first()
    admin.post(f"/groups/{group.pk}/members/", {"phone": person.phone, "role": "leader"})
    member = GroupMember.objects.get(group=group)
    assert (member.person, member.role) == (person, "leader")
    admin.post(f"/groups/members/{member.pk}/remove/")
    assert not GroupMember.objects.filter(group=group).exists()
    actions = list(AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[:3])
    assert actions == ["group.member_remove", "group.member_set", "group.create"]


def test_group_names_are_unique_and_towns_only(admin):
    town = Unit.objects.get(code="620423103000")
    village = Unit.objects.get(code="620423103200")
    response = admin.post("/groups/new/", {"kind": "inspection", "name": "第一督察组", "active": "on",
                                           "towns": [town.pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert "A group with this name already exists." in response.content.decode()
    response = admin.post("/groups/new/", {"kind": "inspection", "name": "新组", "active": "on",
                                           "towns": [village.pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert not WorkingGroup.objects.filter(name="新组").exists()


def test_demo_groups(db):
    inspection = WorkingGroup.objects.filter(kind="inspection")
    assert inspection.count() == 11
    assert sorted(g.towns.get().code for g in inspection) == sorted(
        Unit.objects.filter(level="town").values_list("code", flat=True))
    assert {g.kind for g in WorkingGroup.objects.all()} == {"leading", "office", "special", "inspection", "audit"}


def test_demo_people_are_synthetic_and_every_unit_has_posts(db):
    assert not Person.objects.filter(synthetic=False).exists()
    assert not Person.objects.exclude(phone__startswith="100").exists()
    assert not Unit.objects.filter(posts__isnull=True).exists()
    villages = Unit.objects.filter(level__in=["village", "community"])
    assert villages.filter(point_synthetic=True, lon__isnull=False).count() + \
        villages.filter(point_synthetic=False, lon__isnull=False).count() == 151


def test_error_pages_are_translated(admin):
    response = admin.get("/units/999999999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Not found, or outside your area." in response.content.decode()


def test_anonymous_is_sent_to_sign_in():
    response = Client().get("/units/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/units/")


def test_township_staff_create_a_person_with_the_first_post_in_their_township(users, client_for):
    clerk = client_for(users["town_staff"])
    response = clerk.post("/people/new/", {"name": "新保洁员", "phone": "13900000097"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Give the person&#x27;s first post" in response.content.decode()
    response = clerk.post("/people/new/", {"name": "新保洁员", "phone": "13900000097", "unit": "620423100200",
                                           "role": "cleaner", "start_date": "2026-03-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "The unit 620423100200 does not exist or is outside your area." in response.content.decode()
    assert not Person.objects.filter(phone="13900000097").exists()
    response = clerk.post("/people/new/", {"name": "新保洁员", "phone": "13900000097", "unit": "620423103200",
                                           "role": "cleaner", "start_date": "2026-03-01"})
    person = Person.objects.get(phone="13900000097")
    assert response["Location"] == f"/people/{person.pk}/"
    assert clerk.get(response["Location"]).status_code == 200
    assert list(person.posts.values_list("unit__code", "role")) == [("620423103200", "cleaner")]


def test_breadcrumb_links_only_to_units_in_the_area(users, client_for):
    body = client_for(users["town_staff"]).get("/units/620423103200/").content.decode()
    assert 'href="/units/620423103000/">喜泉镇</a>' in body
    assert 'href="/units/620423000000/"' not in body


def test_people_list_is_paged(admin):
    first = admin.get("/people/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    total = Person.objects.count()
    assert f"page 1 of {(total + 99) // 100} ({total} people)" in first
    assert first.count('<tr><td><a href="/people/') == 100
