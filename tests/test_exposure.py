"""The exposure board (曝光台) and the positive column (正面宣传): the office composes an item from a problem, a drone
photo, a village's move between two published weeks, or anew; marks the regions to destroy on each photo; a second
office user publishes or returns it; the office withdraws it. The village replies; the office publishes or returns
the reply. The portal shows only published items, their public copies and their published replies; Open311's
media_url is such a public copy. Every transition audit-logged; every refusal leaves no trace."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image, ImageStat
from tests.test_photo_imaging import phone_jpeg

from dudao.audit.models import AuditEvent
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.drone.models import DronePhoto
from dudao.exposure import services
from dudao.exposure.models import Item, ItemImage, Kind, Reply, Status
from dudao.org.models import Unit
from dudao.problems import services as problem_services
from dudao.problems.models import Problem, ProblemPhoto
from dudao.ranking.models import Result, Round

DASHUI = "620423103200"  # 大水䃎村: demo_village's
OTHER_VILLAGE = "620423100200"  # 水源村 in 一条山镇
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SCRIPT = "<script>alert('x')</script>"
ROLES = ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"]
OFFICE = {"county_admin", "office"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def office(users):
    return users["office"]


@pytest.fixture
def reviewer(users):
    """The second office user (county administrators are the office too)."""
    return users["county_admin"]


@pytest.fixture
def problem(db):
    """A problem of 大水䃎村 with a before and an after photo."""
    with_after = ProblemPhoto.objects.filter(kind="after").values("problem_id")
    return Problem.objects.filter(village__code=DASHUI, pk__in=with_after).order_by("-pk").first()


def compose(actor, problem=None, **kwargs):
    values = {"kind": Kind.EXPOSURE, "title": "Rubbish at the village gate", "body": "Found on Monday.",
              "reason": "A problem people see every day."}
    values.update(kwargs)
    return services.item_compose(actor=actor, campaign=campaign_get(), problem=problem, **values)


def checked(item, regions=None):
    for image in item.images.all():
        services.item_regions_save(actor=item.author, image=image, regions=regions or [])
    return Item.objects.get(pk=item.pk)


@pytest.fixture
def draft(office, problem):
    return compose(office, problem)


@pytest.fixture
def published(office, reviewer, draft):
    item = services.item_submit(actor=office, item=checked(draft, [[0.1, 0.1, 0.3, 0.3]]))
    return services.item_publish(actor=reviewer, item=item)


def actions(item) -> list[str]:
    return list(AuditEvent.objects.filter(object_type="exposure_item", object_id=str(item.pk))
                .order_by("seq").values_list("action", flat=True))


def stored(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


# The workflow ---------------------------------------------------------------------------------------------------

def test_an_item_from_a_problem_goes_from_draft_through_review_to_the_portal(client, office, reviewer, problem):
    item = compose(office, problem)
    assert (item.status, item.village.code, item.author, item.problem_id) == ("draft", DASHUI, office, problem.pk)
    images = list(item.images.all())
    assert [i.source for i in images] == ["before", "after"]
    assert [i.source_name for i in images] == [pp.photo.display_name for pp in ProblemPhoto.objects.filter(
        problem=problem).select_related("photo").order_by("kind", "pk").reverse()]  # "before" sorts after "after"
    assert all(default_storage.exists(i.public_name) and not i.checked for i in images)
    item = checked(item, [[0.5, 0.5, 0.25, 0.25]])
    item = services.item_submit(actor=office, item=item)
    assert item.status == "review"
    assert client.get(f"/public/items/{item.pk}/").status_code == 404
    item = services.item_publish(actor=reviewer, item=item)
    assert (item.status, item.reviewer, item.published_at is not None) == ("published", reviewer, True)
    assert actions(item) == ["exposure.compose", "exposure.regions", "exposure.regions", "exposure.submit",
                             "exposure.publish"]
    page = client.get(f"/public/items/{item.pk}/").content.decode()
    for text in ("Rubbish at the village gate", "Found on Monday.", "A problem people see every day.", "大水䃎村"):
        assert text in page
    assert office.username not in page and reviewer.username not in page
    for image in images:
        assert f'src="/public/items/{item.pk}/photos/{image.pk}.jpg"' in page
    item = services.item_withdraw(actor=office, item=item, reason="The village asked: a person is recognisable.")
    assert (item.status, item.withdrawn_reason) == ("withdrawn", "The village asked: a person is recognisable.")
    assert actions(item)[-1] == "exposure.withdraw"
    assert client.get(f"/public/items/{item.pk}/").status_code == 404


def test_the_public_copy_has_the_region_destroyed(client, published):
    image = published.images.order_by("position").first()
    assert image.regions == [[0.1, 0.1, 0.3, 0.3]]
    answer = client.get(f"/public/items/{published.pk}/photos/{image.pk}.jpg")
    assert (answer.status_code, answer["Content-Type"]) == (200, "image/jpeg")
    data = b"".join(answer.streaming_content)
    with default_storage.open(image.public_name, "rb") as file:
        assert data == file.read()
    public = Image.open(io.BytesIO(data)).convert("RGB")
    source = stored(image.source_name).convert("RGB")
    assert public.getexif() == {}
    w, h = public.size
    box = (int(0.1 * w), int(0.1 * h), int(0.4 * w), int(0.4 * h))
    size = max(16, -(-(box[2] - box[0]) // 8))
    inner = (box[0] + 3, box[1] + 3, box[0] + size - 3, box[1] + size - 3)  # one block, clear of its edges
    assert max(ImageStat.Stat(public.crop(inner)).var) < 40
    assert public.crop(box).tobytes() != source.crop(box).tobytes()
    assert b"Exif" not in data and b"GPS" not in data


def test_the_author_cannot_review_their_own_item(office, draft):
    item = services.item_submit(actor=office, item=checked(draft))
    before = actions(item)
    for review in (lambda: services.item_publish(actor=office, item=item),
                   lambda: services.item_return(actor=office, item=item, reason="Looks fine to me")):
        with pytest.raises(Refused) as info:
            review()
        assert info.value.code == "self_review"
    assert Item.objects.get(pk=item.pk).status == "review"
    assert actions(item) == before


def test_the_reviewer_returns_it_with_a_reason_and_the_author_submits_again(office, reviewer, draft):
    item = services.item_submit(actor=office, item=checked(draft))
    with pytest.raises(Refused) as info:
        services.item_return(actor=reviewer, item=item, reason="  ")
    assert info.value.code == "reason_required"
    item = services.item_return(actor=reviewer, item=item, reason="A face shows on the second photo.")
    assert (item.status, item.returned_reason, item.reviewer) == ("draft", "A face shows on the second photo.",
                                                                   reviewer)
    item = services.item_edit(actor=office, item=item, title="Rubbish at the gate", body="Found.", reason="Seen.")
    item = services.item_submit(actor=office, item=item)
    assert (item.status, item.returned_reason) == ("review", "")
    assert actions(item)[-3:] == ["exposure.return", "exposure.edit", "exposure.submit"]


def test_a_photo_not_checked_keeps_the_item_from_review(office, draft):
    first = draft.images.order_by("position").first()
    services.item_regions_save(actor=office, image=first, regions=[])
    with pytest.raises(Refused) as info:
        services.item_submit(actor=office, item=draft)
    assert info.value.code == "unchecked_images"
    assert info.value.message == "还有 1 张照片未检查：请在每张照片上标出要打码的区域（没有也请保存一次）后再提交。"
    assert Item.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize(("move", "status"), [("publish", "draft"), ("return", "draft"), ("withdraw", "draft"),
                                              ("submit", "published"), ("publish", "published"),
                                              ("withdraw", "withdrawn"), ("submit", "withdrawn")])
def test_a_move_from_the_wrong_state_is_refused(office, reviewer, draft, move, status):
    Item.objects.filter(pk=draft.pk).update(status=status)
    item = Item.objects.get(pk=draft.pk)
    before = actions(item)
    call = {"publish": lambda: services.item_publish(actor=reviewer, item=item),
            "return": lambda: services.item_return(actor=reviewer, item=item, reason="r"),
            "withdraw": lambda: services.item_withdraw(actor=office, item=item, reason="r"),
            "submit": lambda: services.item_submit(actor=office, item=item)}[move]
    with pytest.raises(Refused) as info:
        call()
    assert info.value.code == "bad_transition"
    assert Item.objects.get(pk=draft.pk).status == status
    assert actions(item) == before


def test_a_published_item_is_no_longer_edited(office, published):
    with pytest.raises(Refused) as info:
        services.item_edit(actor=office, item=published, title="New", body="New", reason="New")
    assert info.value.code == "not_editable"
    with pytest.raises(Refused) as info:
        services.item_regions_save(actor=office, image=published.images.first(), regions=[])
    assert info.value.code == "not_editable"
    with pytest.raises(Refused) as info:
        services.item_image_add(actor=office, item=published, data=phone_jpeg())
    assert info.value.code == "not_editable"


def test_withdrawing_needs_a_reason(office, published):
    with pytest.raises(Refused) as info:
        services.item_withdraw(actor=office, item=published, reason="")
    assert info.value.code == "reason_required"
    assert Item.objects.get(pk=published.pk).status == "published"


@pytest.mark.parametrize(("field", "code"), [("title", "title_required"), ("body", "body_required"),
                                             ("reason", "reason_required")])
def test_an_item_needs_a_title_a_text_and_a_reason(office, problem, field, code):
    count = Item.objects.count()
    with pytest.raises(Refused) as info:
        compose(office, problem, **{field: " \n "})
    assert info.value.code == code
    assert Item.objects.count() == count


@pytest.mark.parametrize("role", [r for r in ROLES if r not in OFFICE])
def test_only_the_office_composes_and_reviews(users, office, draft, role):
    with pytest.raises(PermissionDenied):
        compose(users[role], None, village=Unit.objects.get(code=DASHUI))
    item = services.item_submit(actor=office, item=checked(draft))
    with pytest.raises(PermissionDenied):
        services.item_publish(actor=users[role], item=item)
    with pytest.raises(PermissionDenied):
        services.item_regions_save(actor=users[role], image=item.images.first(), regions=[])
    assert Item.objects.get(pk=item.pk).status == "review"


# Sources ------------------------------------------------------------------------------------------------------

def _two_weeks():
    rounds = list(Round.objects.filter(status="published").order_by("week_start"))
    return rounds[-2], rounds[-1]


def test_a_positive_item_from_a_villages_climb_keeps_the_positions_of_the_published_weeks(office, reviewer):
    earlier, later = _two_weeks()
    village = Unit.objects.get(code=DASHUI)
    item = compose(office, kind=Kind.POSITIVE, village=village, climb=(earlier.week, later.week))
    first = Result.objects.get(round=earlier, unit=village).position
    second = Result.objects.get(round=later, unit=village).position
    ranked = Result.objects.filter(round=later, position__isnull=False).count()
    assert (item.climb_from_week, item.climb_from_position, item.climb_to_week, item.climb_to_position,
            item.climb_ranked, item.climb) == (earlier.week, first, later.week, second, ranked, first - second)
    assert item.images.count() == 0
    item = services.item_publish(actor=reviewer, item=services.item_submit(actor=office, item=item))
    page = Client().get(f"/public/items/{item.pk}/", **EN).content.decode()
    assert f"Position {first} in {earlier.week}, {second} of {ranked} in {later.week}." in page


@pytest.mark.parametrize("weeks", ["same", "reversed", "unpublished"])
def test_a_climb_needs_two_published_weeks_the_earlier_first(office, weeks):
    earlier, later = _two_weeks()
    pair = {"same": (later.week, later.week), "reversed": (later.week, earlier.week),
            "unpublished": (earlier.week, "2099-W01")}[weeks]
    with pytest.raises(Refused) as info:
        compose(office, kind=Kind.POSITIVE, village=Unit.objects.get(code=DASHUI), climb=pair)
    assert info.value.code == ("climb_missing" if weeks == "unpublished" else "climb_weeks")


def test_an_item_from_a_drone_photo(office):
    photo = DronePhoto.objects.filter(village__isnull=False).order_by("pk").first()
    assert photo.display_name == ""  # the demo's display copies are made on first use
    item = compose(office, drone_photo=photo)
    photo.refresh_from_db()
    assert photo.display_name != ""
    assert (item.village_id, [(i.source, i.source_name) for i in item.images.all()]) == (
        photo.village_id, [("drone", photo.display_name)])
    DronePhoto.objects.filter(pk=photo.pk).update(village=None)
    with pytest.raises(Refused) as info:
        compose(office, drone_photo=DronePhoto.objects.get(pk=photo.pk))
    assert info.value.code == "bad_drone_photo"


def test_a_new_item_needs_a_village_of_the_campaign(office):
    with pytest.raises(Refused) as info:
        compose(office, village=Unit.objects.get(code="620423103000"))  # a township, not a village
    assert info.value.code == "bad_village"
    item = compose(office, village=Unit.objects.get(code=OTHER_VILLAGE))
    assert (item.village.code, item.images.count()) == (OTHER_VILLAGE, 0)


# Photos and regions through the pages ------------------------------------------------------------------------------

def test_an_uploaded_photo_with_gps_is_served_without_it(client_for, office, reviewer):
    item = compose(office, village=Unit.objects.get(code=DASHUI))
    page = client_for(office)
    upload = io.BytesIO(phone_jpeg((640, 480)))
    upload.name = "phone.jpg"
    answer = page.post(f"/exposure/{item.pk}/photos/", {"photo": upload})
    image = ItemImage.objects.get(item=item)
    assert answer.status_code == 303 and answer["Location"] == f"/exposure/{item.pk}/photos/{image.pk}/"
    for name in (image.source_name, image.public_name):
        assert stored(name).getexif() == {}
    answer = page.post(f"/exposure/{item.pk}/photos/{image.pk}/",
                       {"rows": "4", "x0": "10", "y0": "20", "w0": "30", "h0": "40", "x1": "", "y1": "", "w1": "",
                        "h1": ""})
    assert answer.status_code == 303
    assert ItemImage.objects.get(pk=image.pk).regions == [[0.1, 0.2, 0.3, 0.4]]
    services.item_publish(actor=reviewer, item=services.item_submit(actor=office, item=item))
    data = b"".join(Client().get(f"/public/items/{item.pk}/photos/{image.pk}.jpg").streaming_content)
    assert Image.open(io.BytesIO(data)).getexif() == {}
    assert b"GPS" not in data and b"Exif" not in data


def test_an_upload_that_is_not_a_photo_is_refused_with_its_reason(client_for, office):
    item = compose(office, village=Unit.objects.get(code=DASHUI))
    upload = io.BytesIO(b"<html>not a photo</html>")
    upload.name = "photo.jpg"
    answer = client_for(office).post(f"/exposure/{item.pk}/photos/", {"photo": upload}, follow=True)
    assert "该文件实际不是照片" in answer.content.decode()
    assert ItemImage.objects.filter(item=item).count() == 0


def test_the_region_editor_takes_the_scripts_numbers_and_refuses_bad_ones(client_for, office, draft):
    image = draft.images.order_by("position").first()
    page = client_for(office)
    url = f"/exposure/{draft.pk}/photos/{image.pk}/"
    editor = page.get(url).content.decode()
    assert 'src="/static/dudao/exposure/regions.js"' in editor and 'id="regions-json"' in editor
    assert "<script>" not in editor and " style=" not in editor
    answer = page.post(url, {"regions": json.dumps([[0.25, 0.25, 0.5, 0.5], [0, 0, 0.1, 0.1]])})
    assert answer.status_code == 303
    assert ItemImage.objects.get(pk=image.pk).regions == [[0.25, 0.25, 0.5, 0.5], [0.0, 0.0, 0.1, 0.1]]
    for posted, message in [
            ({"regions": json.dumps([[0.9, 0.1, 0.2, 0.2]])}, "第 1 个区域超出了照片范围"),
            ({"regions": json.dumps([[0.1, 0.1, 0, 0.2]])}, "第 1 个区域没有宽度或高度。"),
            ({"regions": json.dumps([[0.1, 0.1, 0.1, 0.1]] * 21)}, "21 个区域；最多接受 20 个。"),
            ({"regions": "[[0.1, 0.1"}, "区域不是矩形列表。"),
            ({"rows": "1", "x0": "ten", "y0": "1", "w0": "1", "h0": "1"}, "第 1 个区域不是 x、y、宽、高四个数字。")]:
        answer = page.post(url, posted)
        assert answer.status_code == 400
        assert message in answer.content.decode()
    assert ItemImage.objects.get(pk=image.pk).regions == [[0.25, 0.25, 0.5, 0.5], [0.0, 0.0, 0.1, 0.1]]


# The village's reply ---------------------------------------------------------------------------------------------

def test_the_village_replies_and_the_office_publishes_the_reply_beside_the_item(client_for, users, office,
                                                                                published):
    village = client_for(users["village_staff"])
    assert published.pk in [int(pk) for pk in __import__("re").findall(
        r'data-pk="(\d+)"', village.get("/exposure/").content.decode())]
    answer = village.post(f"/exposure/{published.pk}/reply/", {"text": "We cleaned it the same day."})
    assert answer.status_code == 303
    reply = Reply.objects.get(item=published)
    assert (reply.status, reply.author) == ("submitted", users["village_staff"])
    public = Client()
    assert "We cleaned it the same day." not in public.get(f"/public/items/{published.pk}/").content.decode()
    reply = services.reply_return(actor=office, reply=reply, reason="Say what was done.")
    assert (reply.status, reply.returned_reason) == ("returned", "Say what was done.")
    services.reply_submit(actor=users["village_staff"], item=published, text="Cleaned; a cleaner sweeps daily.")
    reply = services.reply_publish(actor=office, reply=Reply.objects.get(item=published))
    assert reply.status == "published"
    page = public.get(f"/public/items/{published.pk}/").content.decode()
    assert 'id="item-reply"' in page and "Cleaned; a cleaner sweeps daily." in page
    assert users["village_staff"].username not in page
    assert actions(published)[-4:] == ["exposure.reply_submit", "exposure.reply_return", "exposure.reply_submit",
                                       "exposure.reply_publish"]
    with pytest.raises(Refused) as info:
        services.reply_submit(actor=users["village_staff"], item=published, text="Changed afterwards")
    assert info.value.code == "reply_bad_transition"


def test_another_villages_staff_and_unpublished_items_are_not_found(client_for, users, office, reviewer, draft):
    village = client_for(users["village_staff"])
    assert village.get(f"/exposure/{draft.pk}/").status_code == 404  # a draft about their own village
    assert village.post(f"/exposure/{draft.pk}/reply/", {"text": "x"}).status_code == 404
    other = compose(office, village=Unit.objects.get(code=OTHER_VILLAGE))
    other = services.item_publish(actor=reviewer, item=services.item_submit(actor=office, item=other))
    assert village.get(f"/exposure/{other.pk}/").status_code == 404
    assert village.post(f"/exposure/{other.pk}/reply/", {"text": "Not ours"}).status_code == 404
    assert village.get(f"/exposure/{other.pk}/photos/1/public.jpg").status_code == 404
    with pytest.raises(PermissionDenied):
        services.reply_submit(actor=users["village_staff"], item=other, text="Not ours")
    assert not Reply.objects.filter(item=other).exists()


def test_a_reply_needs_text_and_the_office_reviews_it(users, office, published):
    with pytest.raises(Refused) as info:
        services.reply_submit(actor=users["village_staff"], item=published, text="  ")
    assert info.value.code == "reply_required"
    reply = services.reply_submit(actor=users["village_staff"], item=published, text="Done.")
    with pytest.raises(PermissionDenied):
        services.reply_publish(actor=users["village_staff"], reply=reply)
    with pytest.raises(Refused) as info:
        services.reply_return(actor=office, reply=reply, reason="")
    assert info.value.code == "reason_required"
    assert Reply.objects.get(pk=reply.pk).status == "submitted"


# The public side -----------------------------------------------------------------------------------------------------

def test_drafts_reviews_withdrawn_items_and_guessed_ids_are_not_found(client, office, reviewer, problem, published):
    draft = compose(office, problem)
    review = services.item_submit(actor=office, item=checked(compose(office, problem)))
    gone = services.item_withdraw(actor=office, reason="r", item=services.item_publish(
        actor=reviewer, item=services.item_submit(actor=office, item=checked(compose(office, problem)))))
    for item in (draft, review, gone):
        assert client.get(f"/public/items/{item.pk}/").status_code == 404
        for image in item.images.all():
            assert client.get(f"/public/items/{item.pk}/photos/{image.pk}.jpg").status_code == 404
        assert f"/public/items/{item.pk}/" not in client.get("/public/exposure/").content.decode()
    missing = Item.objects.order_by("-pk").first().pk + 1
    own = published.images.first()
    other = draft.images.first()
    assert client.get(f"/public/items/{missing}/").status_code == 404
    assert client.get(f"/public/items/{published.pk}/photos/{other.pk}.jpg").status_code == 404  # another's photo
    assert client.get(f"/public/items/{published.pk}/photos/{own.pk}.jpg").status_code == 200
    assert client.get(f"/public/items/{published.pk}/photos/{own.pk}").status_code == 404
    assert client.get("/public/items/x/").status_code == 404


def test_the_lists_show_each_kind_and_the_withdrawn_item_goes_at_once(client, office, reviewer, published):
    positive = compose(office, kind=Kind.POSITIVE, village=Unit.objects.get(code=OTHER_VILLAGE), title="Cleanest lanes")
    positive = services.item_publish(actor=reviewer, item=services.item_submit(actor=office, item=positive))
    exposure = client.get("/public/exposure/").content.decode()
    assert f'href="/public/items/{published.pk}/"' in exposure and "Cleanest lanes" not in exposure
    positives = client.get("/public/positive/").content.decode()
    assert f'href="/public/items/{positive.pk}/"' in positives and published.title not in positives
    assert client.get("/public/exposure/")["Cache-Control"] == "public, max-age=300"
    services.item_withdraw(actor=office, item=published, reason="r")
    assert f'href="/public/items/{published.pk}/"' not in client.get("/public/exposure/").content.decode()


def test_script_in_the_texts_is_shown_as_text(client, office, reviewer, users, problem):
    item = compose(office, problem, title=f"Title {SCRIPT}", body=f"Body {SCRIPT}", reason=f"Reason {SCRIPT}")
    item = services.item_publish(actor=reviewer, item=services.item_submit(actor=office, item=checked(item)))
    services.reply_publish(actor=office, reply=services.reply_submit(actor=users["village_staff"], item=item,
                                                                        text=f"Reply {SCRIPT}"))
    for path in (f"/public/items/{item.pk}/", "/public/exposure/", "/public/feed.atom"):
        text = Client().get(path).content.decode()
        assert "<script>" not in text, path
    page = Client().get(f"/public/items/{item.pk}/").content.decode()
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") == 5  # title twice, body, reason, reply
    staff = Client()
    staff.force_login(office)
    assert "<script>alert" not in staff.get(f"/exposure/{item.pk}/").content.decode()


def test_the_feed_lists_the_published_items(client, office, published):
    compose(office, village=Unit.objects.get(code=DASHUI), title="A draft not to be seen")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(client.get("/public/feed.atom").content)  # noqa: S314 - our own answer
    links = [e.find("a:link", ns).get("href") for e in root.findall("a:entry", ns)]
    items = [link for link in links if "/public/items/" in link]
    demo = list(Item.objects.filter(synthetic=True, status="published").order_by("-published_at", "-pk"))
    assert items == [f"http://testserver/public/items/{i.pk}/" for i in [published, *demo]]
    assert "A draft not to be seen" not in client.get("/public/feed.atom").content.decode()


# Open311 -----------------------------------------------------------------------------------------------------------

def test_open311_media_url_is_the_public_copy_of_a_published_item(client, office, reviewer, problem, published):
    number = problem.number
    assert client.get(f"/open311/v2/requests/{number}.json").status_code == 404  # not marked public
    problem_services.problem_set_public(actor=office, problem=problem, public=True)
    first = published.images.order_by("position", "pk").first()
    row = client.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert row["media_url"] == f"http://testserver/public/items/{published.pk}/photos/{first.pk}.jpg"
    listed = {r["service_request_id"]: r["media_url"] for r in client.get("/open311/v2/requests.json").json()}
    assert listed == {number: row["media_url"]}
    assert client.get(row["media_url"].removeprefix("http://testserver")).status_code == 200
    services.item_withdraw(actor=office, item=published, reason="r")
    demo = Item.objects.filter(problem=problem, status="published").exclude(pk=published.pk).first()
    expected = (f"http://testserver/public/items/{demo.pk}/photos/{demo.images.order_by('position').first().pk}.jpg"
                if demo else None)
    assert client.get(f"/open311/v2/requests/{number}.json").json()[0]["media_url"] == expected


def test_open311_media_url_is_null_without_a_published_item(client, office, problem):
    compose(office, problem)  # a draft only
    other = Problem.objects.filter(public=False).exclude(pk=problem.pk).exclude(
        pk__in=Item.objects.filter(problem__isnull=False).values("problem_id")).order_by("pk").first()
    problem_services.problem_set_public(actor=office, problem=other, public=True)
    assert client.get(f"/open311/v2/requests/{other.number}.json").json()[0]["media_url"] is None


# Access --------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_access_to_the_staff_pages(client_for, users, office, reviewer, draft, role):
    published = services.item_publish(actor=reviewer, item=services.item_submit(actor=office, item=checked(draft)))
    image = published.images.first()
    page = client_for(users[role])
    office_role, village = role in OFFICE, role == "village_staff"
    expected = {
        "/exposure/": 200 if office_role or village else 403,
        "/exposure/new/": 200 if office_role else 403,
        f"/exposure/{published.pk}/": 200 if office_role or village else 403,
        f"/exposure/{published.pk}/photos/{image.pk}/": 200 if office_role else 403,
        f"/exposure/{published.pk}/photos/{image.pk}/public.jpg": 200 if office_role or village else 403,
        f"/exposure/{published.pk}/photos/{image.pk}/source.jpg": 200 if office_role else 404 if village else 403,
    }
    assert {path: page.get(path).status_code for path in expected} == expected
    posts = {
        "/exposure/new/": {"kind": "exposure", "source": "new", "village": DASHUI, "title": "t", "body": "b",
                           "reason": "r"},
        f"/exposure/{published.pk}/action/": {"action": "withdraw", "reason": "r"},
        f"/exposure/{published.pk}/reply/action/": {"action": "publish"},
    }
    count = Item.objects.count()
    answers = {path: page.post(path, data).status_code for path, data in posts.items()}
    if office_role:
        assert answers == {"/exposure/new/": 303, f"/exposure/{published.pk}/action/": 303,
                           f"/exposure/{published.pk}/reply/action/": 400}  # no reply to review
    else:
        assert answers == {path: 403 for path in posts}
        assert (Item.objects.count(), Item.objects.get(pk=published.pk).status) == (count, "published")


def test_anonymous_visitors_are_sent_to_sign_in(client, draft):
    for path in ("/exposure/", "/exposure/new/", f"/exposure/{draft.pk}/"):
        answer = client.get(path)
        assert (answer.status_code, answer["Location"].split("?")[0]) == (302, "/accounts/login/")


# The office's pages ------------------------------------------------------------------------------------------------

def test_the_office_composes_from_a_problem_number_and_publishes_through_the_pages(client_for, office, reviewer,
                                                                                  problem):
    page = client_for(office)
    values = {"kind": "exposure", "source": "problem", "problem": problem.number, "title": "Toilets",
              "body": "Dirty.", "reason": "People complained."}
    answer = page.post("/exposure/new/", values)
    item = Item.objects.order_by("-pk").first()
    assert (answer.status_code, answer["Location"]) == (303, f"/exposure/{item.pk}/")
    assert (item.problem_id, item.title, item.images.count()) == (problem.pk, "Toilets", 2)
    answer = page.post("/exposure/new/", {**values, "problem": "2026-999999"})
    assert answer.status_code == 400 and "没有编号为“2026-999999”的问题。" in answer.content.decode()
    answer = page.post("/exposure/new/", {**values, "reason": ""})
    assert answer.status_code == 400 and "请说明展示这一条的理由。" in answer.content.decode()
    for image in item.images.all():
        page.post(f"/exposure/{item.pk}/photos/{image.pk}/", {"rows": "0"})
    page.post(f"/exposure/{item.pk}/action/", {"action": "submit"})
    page.post(f"/exposure/{item.pk}/action/", {"action": "publish"})
    assert Item.objects.get(pk=item.pk).status == "review"  # the author's publish refused
    assert "作者不能" in page.get(f"/exposure/{item.pk}/").content.decode()
    client_for(reviewer).post(f"/exposure/{item.pk}/action/", {"action": "publish"})
    assert Item.objects.get(pk=item.pk).status == "published"


def test_the_demo_has_a_published_exposure_item_with_a_blurred_photo_and_reply_and_a_positive_item(db):
    exposure = Item.objects.get(synthetic=True, kind="exposure")
    assert (exposure.status, exposure.village.code, exposure.reply.status) == ("published", DASHUI, "published")
    assert [i.regions != [] for i in exposure.images.order_by("position")] == [True, False]
    assert all(i.checked for i in exposure.images.all())
    positive = Item.objects.get(synthetic=True, kind="positive")
    assert (positive.status, positive.climb is not None and positive.climb > 0) == ("published", True)
    assert exposure.author_label != exposure.reviewer_label
    assert Status.PUBLISHED == exposure.status
