"""Nothing personal and nothing unpublished on the public side: every public page, text, CSV, feed and Open311 answer
is fetched, in both languages, after seeding distinctive names and phone numbers where Dudao keeps them (people and
their posts, accounts, a public problem's reporter, rectifier, notes and description, a good practice's author, an
exposure item's author and reviewer, a village reply's author) and an unpublished round, problem and good practice, a
withdrawn notice, exposure items in draft, in review and withdrawn and a reply not yet published; none of them is
found in any answer. The exposure board's pages and photos are fetched too: their photos are public copies only."""

import datetime as dt

import pytest
from django.core.cache import cache

from dudao.exposure import services as exposure
from dudao.exposure.models import Item
from dudao.notices import services as notices
from dudao.org.models import Person, Post, Unit
from dudao.portal import caching
from dudao.practices import services as practices
from dudao.problems import services as problems
from dudao.problems.models import Category, Problem
from dudao.ranking.models import Result, Round, RoundStatus

DASHUI = "620423103200"  # 大水䃎村
SEEDED_NAMES = ["欧阳隐名", "司马测姓", "Zhang Privatus"]
SEEDED_PHONES = ["10087654321", "13987654321", "0943-5512399"]


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    monkeypatch.setattr(caching, "STAMP_SECONDS", 0)  # a process reads the published stamp on every request
    caching.forget()
    cache.clear()
    yield
    caching.forget()
    cache.clear()


@pytest.fixture
def seeded(users):
    """Distinctive names and numbers where Dudao keeps personal data, a public problem that carries them in every
    personal field, a problem not public and a computed week not published."""
    village = Unit.objects.get(code=DASHUI)
    person = Person.objects.create(name=SEEDED_NAMES[0], phone=SEEDED_PHONES[0])
    Post.objects.create(person=person, unit=village, role="village_head", title="村主任", start_date=dt.date(2020, 1, 1))
    office = users["office"]
    office.first_name, office.last_name = "司马", "测姓"
    office.save()
    users["village_staff"].first_name = SEEDED_NAMES[2]
    users["village_staff"].save()
    category = Category.objects.get(code="garbage")
    public = problems.problem_report(actor=office, campaign=category.campaign, village=village, category=category,
                                     description=f"村口垃圾，{SEEDED_NAMES[0]}反映，电话 {SEEDED_PHONES[1]}，"
                                                 f"座机 {SEEDED_PHONES[2]}")
    public.description = f"村口垃圾，电话 {SEEDED_PHONES[1]}，座机 {SEEDED_PHONES[2]}"  # the office wrote a name: gone
    Problem.objects.filter(pk=public.pk).update(description=public.description)
    problems.problem_set_public(actor=office, problem=public, public=True)
    hidden = problems.problem_report(actor=office, campaign=category.campaign, village=village, category=category,
                                     description="不公开的案卷")
    draft = Round.objects.exclude(status__in=[RoundStatus.PUBLISHED, RoundStatus.SUPERSEDED]).get()
    Round.objects.filter(pk=draft.pk).update(status=RoundStatus.COMPUTED)
    Result.objects.create(round=draft, unit=village, town=village.parent, composite=1.0, position=151, tier="red",
                          red_streak=9)
    # A good practice the office wrote and published (its author's name must not show), one still a draft, a
    # notice published and one withdrawn.
    town = village.parent
    practice = practices.practice_save(actor=office, campaign=category.campaign, town=town, title="公开的经验",
                                       text="保洁员兼任监督员。")
    practice = practices.practice_submit(actor=office, practice=practice)
    practice = practices.practice_publish(actor=office, practice=practice)
    practices.practice_save(actor=office, campaign=category.campaign, town=town, title="未发布的经验", text="草稿")
    notices.notice_publish(actor=office, campaign=category.campaign, title="倡议书", date=dt.date(2026, 3, 2),
                           text="共建美丽家园。", data=b"%PDF-1.4\n%%EOF\n")
    gone = notices.notice_publish(actor=office, campaign=category.campaign, title="撤回的公告",
                                  date=dt.date(2026, 3, 1))
    notices.notice_withdraw(actor=office, notice=gone, reason="过期")
    # Exposure items: one published from the public problem (its author the office, named above; reviewed by the
    # administrator, named too) with a published reply by the village's staff (named), one published with a reply
    # still waiting, one in draft, one in review, one withdrawn.
    reviewer = users["county_admin"]
    reviewer.first_name, reviewer.last_name = "诸葛", "审核"
    reviewer.save()

    def item(title: str, problem=None, village_unit=village):
        composed = exposure.item_compose(actor=office, campaign=category.campaign, kind="exposure", title=title,
                                         body="整改前后对比。", reason="接受监督。", problem=problem,
                                         village=None if problem else village_unit)
        for image in composed.images.all():
            exposure.item_regions_save(actor=office, image=image, regions=[[0.1, 0.1, 0.2, 0.2]])
        return Item.objects.get(pk=composed.pk)

    def publish(composed):
        return exposure.item_publish(actor=reviewer, item=exposure.item_submit(actor=office, item=composed))

    shown = publish(item("公开的曝光", public))
    exposure.reply_publish(actor=office, reply=exposure.reply_submit(actor=users["village_staff"], item=shown,
                                                                     text="已整改完毕。"))
    waiting = publish(item("等待回复审核的曝光"))
    exposure.reply_submit(actor=users["village_staff"], item=waiting, text="未审核的回复")
    item("草稿曝光")
    exposure.item_submit(actor=office, item=item("审核中的曝光"))
    exposure.item_withdraw(actor=office, item=publish(item("撤下的曝光")), reason="撤下")
    return {"public": Problem.objects.get(pk=public.pk), "hidden": hidden, "draft": draft.week,
            "practice": practice.pk, "exposure": shown.pk}


def _answers(client, public: Problem, practice: int, exposure_items: list[Item]) -> dict[str, str]:
    rounds = list(Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("week_start"))
    latest = rounds[-1]
    listed = set(Result.objects.filter(round=latest, tier__in=["green", "red"]).values_list("unit__code", flat=True))
    paths = ["/public/", "/public/feed.atom", "/open311/v2/discovery.json", "/open311/v2/services.json",
             "/open311/v2/requests.json?start_date=2000-01-01", f"/open311/v2/requests/{public.number}.json",
             "/public/practices/", f"/public/practices/{practice}/", "/public/notices/", "/public/exposure/",
             "/public/positive/"]
    paths += [f"/public/items/{item.pk}/" for item in exposure_items]
    for round_ in rounds:
        paths += [f"/public/weeks/{round_.week}/", f"/public/weeks/{round_.week}/lists.csv"]
    paths += [f"/public/weeks/{latest.week}/article/", f"/public/weeks/{latest.week}/article.txt"]
    villages = []
    for code in sorted(listed | {DASHUI}):
        villages += [f"/public/villages/{code}/", f"/public/villages/{code}/{latest.week}/broadcast.txt"]
    out = {}
    for language in ("zh-hans", "en"):
        for path in paths + (villages if language == "zh-hans" else villages[:2]):
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, path
            out[f"{language} {path}"] = response.content.decode("utf-8-sig")
    return out


def test_no_name_no_phone_and_nothing_unpublished_in_any_public_answer(client, seeded, users):
    published_items = list(Item.objects.filter(status="published").order_by("pk"))
    answers = _answers(client, seeded["public"], seeded["practice"], published_items)
    shown = answers[f"zh-hans /public/items/{seeded['exposure']}/"]
    assert "公开的曝光" in shown and "已整改完毕。" in shown
    assert "公开的经验" in answers[f"zh-hans /public/practices/{seeded['practice']}/"]
    assert "倡议书" in answers["zh-hans /public/notices/"]
    assert seeded["public"].number in answers[f"zh-hans /open311/v2/requests/{seeded['public'].number}.json"]
    names = set(SEEDED_NAMES) | {n for n in Person.objects.values_list("name", flat=True) if len(n) >= 3}
    names |= {u.get_full_name() for u in users.values() if u.get_full_name()}
    phones = set(SEEDED_PHONES) | set(Person.objects.values_list("phone", flat=True))
    forbidden = names | phones | {u.username for u in users.values()} | {
        seeded["hidden"].number, "不公开的案卷", seeded["draft"], "未发布的经验", "撤回的公告", "诸葛审核",
        "草稿曝光", "审核中的曝光", "撤下的曝光", "未审核的回复", "/media/", "source.jpg"}
    forbidden |= {f"/public/items/{pk}/" for pk in Item.objects.exclude(status="published").values_list("pk", flat=True)}
    found = {(where, word) for where, text in answers.items() for word in forbidden if word in text}
    assert found == set()
    assert len(published_items) == 4  # the demo's two and the two published here
    assert len(answers) == 2 * (11 + 4 + 2 * 7 + 2) + 2 * 61 + 2  # 7 weeks, 61 villages in Chinese, 1 in English
    # The photos served are the public copies of published items, and nothing else is.
    for item in Item.objects.all():
        for image in item.images.all():
            answer = client.get(f"/public/items/{item.pk}/photos/{image.pk}.jpg")
            assert answer.status_code == (200 if item.status == "published" else 404)
