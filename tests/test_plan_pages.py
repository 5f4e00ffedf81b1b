"""The plan's pages at work: the office uploads and downloads the actions file, a township reports progress with a
photo from its task page and adds its own task, the battle map and the timeline render their standings."""

import datetime as dt
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from dudao.plan.models import Action, Progress, ProgressPhoto, Task
from dudao.problems.models import Category

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HEADER = "no,name,lead,support,target,target_value,target_unit,start,deadline,towns,milestones\n"


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (40, 160, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def office(client_for, users):
    return client_for(users["office"])


@pytest.fixture
def township(client_for, users):
    return client_for(users["town_staff"])


def test_the_office_uploads_the_actions_file(office, users):
    town = users["town_staff"].scope_unit
    data = (HEADER + f"50,大水䃎村清理,住建局,,,6,处,2026-03-01,2026-06-30,{town.name},\n").encode("gb18030")
    response = office.post("/plan/actions/import/", {"file": SimpleUploadedFile("actions.csv", data)})
    assert response.status_code == 303 and response["Location"] == "/plan/"
    assert Task.objects.get(action__no=50).town == town
    assert "大水䃎村清理" in office.get("/plan/").content.decode()


def test_a_refused_upload_lists_every_row_and_writes_nothing(office):
    data = (HEADER + "51,甲,环卫局,,,x,,2026-03-01,2026-06-30,全部,\n").encode()
    response = office.post("/plan/actions/import/", {"file": SimpleUploadedFile("actions.csv", data)}, **EN)
    assert response.status_code == 400
    problems = re.findall(r"<li>(Row \d+: [^<]*)</li>", response.content.decode())
    assert [p.split(":")[0] for p in problems] == ["Row 2", "Row 2", "Row 2"]
    assert not Action.objects.filter(no=51).exists()


def test_the_office_downloads_what_the_command_exports(office):
    csv = office.get("/plan/actions/export/")
    assert csv["Content-Disposition"] == 'attachment; filename="actions.csv"'
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0] == HEADER.strip() and len(lines) == 19
    chinese = office.get("/plan/actions/export/?format=xlsx&chinese=1")
    assert chinese.content.startswith(b"PK")


def test_a_township_reports_progress_with_a_photo_from_its_task_page(township, users):
    task = Task.objects.get(action__no=15, town=users["town_staff"].scope_unit, own=False)
    page = township.get(f"/plan/tasks/{task.pk}/")
    assert 'id="progress-form"' in page.content.decode()
    response = township.post(f"/plan/tasks/{task.pk}/", {
        "value": "3", "note": "拆除养殖棚三处", "photos": SimpleUploadedFile("a.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 303
    progress = Progress.objects.get(task=task)
    photo = ProgressPhoto.objects.get(progress=progress)
    page = township.get(f"/plan/tasks/{task.pk}/").content.decode()
    assert "拆除养殖棚三处" in page and f"/plan/photos/{photo.pk}/thumb.jpg" in page
    image = township.get(f"/plan/photos/{photo.pk}/thumb.jpg")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_a_bad_report_shows_its_refusal(township, users):
    task = Task.objects.get(action__no=15, town=users["town_staff"].scope_unit, own=False)
    response = township.post(f"/plan/tasks/{task.pk}/", {"value": "three"}, **EN)
    assert response.status_code == 400
    assert "“three” is not a number" in response.content.decode()
    bad_photo = township.post(f"/plan/tasks/{task.pk}/", {
        "note": "x", "photos": SimpleUploadedFile("a.jpg", b"not an image", "image/jpeg")})
    assert bad_photo.status_code == 400 and not Progress.objects.filter(task=task).exists()


def test_another_townships_photo_is_not_found(client_for, users, township):
    task = Task.objects.get(action__no=15, town=users["town_staff"].scope_unit, own=False)
    township.post(f"/plan/tasks/{task.pk}/", {"note": "x", "photos": SimpleUploadedFile("a.jpg", jpeg())})
    photo = ProgressPhoto.objects.get(progress__task=task)
    assert client_for(users["inspector"]).get(f"/plan/photos/{photo.pk}/thumb.jpg").status_code == 404
    assert client_for(users["leader"]).get(f"/plan/photos/{photo.pk}/thumb.jpg").status_code == 200


def test_a_township_adds_its_own_task(township, users):
    deadline = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    response = township.post("/plan/tasks/new/9/", {"title": "2468：八个清理", "deadline": deadline,
                                                    "target_value": "8", "target_unit": "项",
                                                    "owner_role": "town_head"})
    task = Task.objects.get(own=True, title="2468：八个清理")
    assert response.status_code == 303 and response["Location"] == f"/plan/tasks/{task.pk}/"
    assert (task.town, task.owner_role) == (users["town_staff"].scope_unit, "town_head")
    county = Task.objects.get(action__no=9, town=task.town, own=False)
    assert "2468：八个清理" in township.get(f"/plan/tasks/{county.pk}/").content.decode()
    refused = township.post("/plan/tasks/new/9/", {"title": "x", "deadline": "soon", "owner_role": "town_head"},
                            **EN)
    assert refused.status_code == 400 and "The deadline is not a date" in refused.content.decode()


def test_the_battle_map_colours_follow_the_standing(office, users):
    town = users["town_staff"].scope_unit
    page = office.get("/plan/").content.decode()
    row = re.search(r'<tr data-no="13">.*?</tr>', page, re.S).group(0)
    cell = re.search(rf'<td data-town="{town.code}">.*?</td>', row, re.S).group(0)
    assert 'class="standing standing-done"' in cell  # 喜泉镇 planted its share of trees in the demo
    assert "style=" not in page


def test_the_timeline_draws_each_action_as_a_bar(office):
    page = office.get("/plan/timeline/").content.decode()
    assert page.count('class="timeline-bar"') == 18
    assert page.count('class="timeline-milestone"') == Action.objects.filter(milestones__isnull=False).count()
    assert "style=" not in page


def test_the_action_page_shows_its_evidence_and_the_office_maps_it(office, users):
    page = office.get("/plan/actions/1/").content.decode()
    assert "垃圾治理" in page and 'id="evidence-form"' in page
    sewage = Category.objects.get(code="sewage")
    response = office.post("/plan/actions/8/evidence/", {"category": [str(sewage.pk)]})
    assert response.status_code == 303
    assert list(Action.objects.get(no=8).categories.all()) == [sewage]


def test_the_organisation_page_lists_departments_and_duties(office):
    page = office.get("/plan/organisation/").content.decode()
    assert "住建局" in page and "统筹全县" in page
