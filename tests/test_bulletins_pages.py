"""Bulletin pages and the office's Word template: access per role, downloads, regeneration, uploads refused with
the reason and nothing stored."""

import html
import io
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.utils import translation
from django.utils.translation import gettext
from docx import Document

from dudao.accounts.access import SYSTEM
from dudao.audit.models import AuditEvent
from dudao.bulletins import services, word
from dudao.bulletins.models import Bulletin, BulletinTemplate, TemplateTrial
from dudao.campaigns.services import campaign_get
from dudao.core.errors import Refused
from dudao.ranking.models import Result, Round

ROLES = ["county_admin", "office", "leader", "inspector", "town_staff", "village_staff"]
READERS = {"county_admin", "office", "leader", "inspector", "town_staff", "village_staff"}
MANAGERS = {"county_admin", "office"}


def latest() -> Round:
    return Round.objects.filter(status="published").order_by("-week_start").first()


@pytest.fixture
def bulletin(db) -> Bulletin:
    """The demo's bulletin of the latest published week, made by the same service (two seconds a PDF); made again
    here only if an earlier test removed its files from this process's media folder."""
    made = Bulletin.objects.get(round=latest())
    if all(default_storage.exists(name) for name in (made.docx_name, made.pdf_name, made.xlsx_name)):
        return made
    return services.bulletin_generate(actor=SYSTEM, round_=latest())


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the source language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def client_of(users, client_for):
    return lambda role: client_for(users[role])


def trials_run() -> list[str]:
    """What the worker does with the queued template trials (tests/test_template_trial.py runs the worker itself)."""
    from django_tasks_db.models import DBTaskResult

    from dudao.bulletins.tasks import check_template

    queued = DBTaskResult.objects.filter(task_path=check_template.module_path, status="READY").order_by("pk")
    return [services.template_trial_run(task.args_kwargs["args"][0]) for task in queued]


def docx_with(*paragraphs: str) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# Access ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_published_bulletins_are_read_by_staff_down_to_villages(role, client_of, bulletin):
    client = client_of(role)
    week = bulletin.week
    expected = 200 if role in READERS else 403
    listing = client.get("/bulletins/")
    assert listing.status_code == expected
    page = client.get(f"/bulletins/{week}/")
    assert page.status_code == expected
    download = client.get(f"/bulletins/{week}/bulletin.pdf")
    assert download.status_code == expected
    if expected == 200:
        assert f'data-week="{week}"' in listing.content.decode()
        assert bulletin.letterhead["doc_number"] in page.content.decode()
        assert b"".join(download.streaming_content).startswith(b"%PDF-")
        assert download["Content-Disposition"] == f'attachment; filename="bulletin-{week}-r1.pdf"'
        assert ('id="regenerate"' in page.content.decode()) == (role in MANAGERS)


@pytest.mark.parametrize("role", ROLES)
def test_template_page_and_regeneration_are_the_office_s(role, client_of, bulletin):
    client = client_of(role)
    expected = 200 if role in MANAGERS else 403
    assert client.get("/bulletins/template/").status_code == expected
    assert client.get("/bulletins/template/default.docx").status_code == expected
    response = client.post(f"/bulletins/{bulletin.week}/regenerate/")
    assert response.status_code == (302 if role in MANAGERS else 403)


def test_an_unpublished_week_has_no_bulletin_page(client_of, db):
    current = Round.objects.exclude(status__in=["published", "superseded"]).order_by("-week_start").first()
    client = client_of("office")
    assert client.get(f"/bulletins/{current.week}/").status_code == 404
    assert client.get(f"/bulletins/{current.week}/bulletin.docx").status_code == 404
    assert client.get("/bulletins/2026-W99x/").status_code == 404


def test_a_published_week_without_bulletin_says_so_and_the_office_makes_it(client_of, db):
    week = latest().week
    Bulletin.objects.filter(round=latest()).delete()  # the demo made it: as if the worker had not yet
    client = client_of("office")
    page = client.get(f"/bulletins/{week}/").content.decode()
    assert 'id="being-made"' in page
    assert client.get(f"/bulletins/{week}/bulletin.docx").status_code == 404
    response = client.post(f"/bulletins/{week}/regenerate/", follow=True)
    assert response.status_code == 200
    assert Bulletin.objects.filter(round=latest()).exists()
    event = AuditEvent.objects.filter(action="bulletin.generate").order_by("-seq").first()
    assert event.actor_label == "user:demo_office"


def test_regenerating_from_the_page_keeps_the_content(client_of, bulletin):
    client = client_of("office")
    response = client.post(f"/bulletins/{bulletin.week}/regenerate/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "content is unchanged" in response.content.decode()
    assert Bulletin.objects.get(pk=bulletin.pk).content_digest == bulletin.content_digest


# Templates --------------------------------------------------------------------------------------------------


def test_the_default_template_is_deterministic_and_a_word_document(db):
    first = word.default_template()
    word._default_for.cache_clear()
    assert word.default_template() == first
    doc = Document(io.BytesIO(first))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "{{ issuer }}"
    assert "{{ doc_number }}" in text and "{{ summary }}" in text and "{{ chart }}" in text


def test_an_edited_template_is_checked_stored_and_used(client_of, db):
    client = client_of("office")
    edited = docx_with("{{ issuer }}", "{{ doc_number }}", "自定义通报 {{ week }}",
                       "{% for v in red %}{{ v.name }}、{% endfor %}")
    response = client.post("/bulletins/template/", {"action": "upload",
                                                    "file": io.BytesIO(edited)}, follow=True)
    assert response.status_code == 200
    assert trials_run() == ["accepted"]  # the worker's part (decision 0022)
    active = BulletinTemplate.objects.get(campaign=campaign_get(), active=True)
    assert bytes(active.data) == edited
    assert AuditEvent.objects.filter(action="bulletin.template_upload").count() == 1
    bulletin = services.bulletin_generate(actor=SYSTEM, round_=latest())
    with default_storage.open(bulletin.docx_name, "rb") as f:
        doc = Document(io.BytesIO(f.read()))
    assert doc.paragraphs[2].text == f"自定义通报 {latest().week}"
    assert bulletin.template_sha256 == active.sha256
    # Back to the default.
    client.post("/bulletins/template/", {"action": "default"})
    assert not BulletinTemplate.objects.filter(active=True).exists()
    assert client.get("/bulletins/template/current.docx").content == word.default_template()


def _zip_without_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


NOT_DOCX = "The file is not a Word document (.docx)."
SYNTAX = "The template has a syntax error: %(error)s (line %(line)s of the document's text%(where)s)."
UNKNOWN = "The template uses an unknown variable: %(error)s%(where)s."
UNSAFE = "The template does something a template may not: %(error)s."
NOT_MADE = "The bulletin of week %(week)s cannot be made with the active template: %(reason)s"


NEAR = ", near “%(text)s”"


def _pattern(msgid: str, name: str = "") -> str:
    def placeholder(part: str) -> str:
        if part == "where":  # “, near …” or nothing
            return f"(?:{_pattern(NEAR, 'near')})?"
        return r"\d+" if part == "line" else ".*?"

    parts = re.split(r"%\((\w+)\)s", gettext(msgid))
    return "".join(re.escape(part) if n % 2 == 0 else f"(?P<{name}{part}>{placeholder(part)})"
                   for n, part in enumerate(parts))


def said(msgid: str, message: str) -> dict[str, str]:
    """The values of the placeholders when ``message`` is the msgid's translation in the active language, whatever
    that language is (``where``: the text of “, near …”, or ""); fails the test when it is not."""
    match = re.fullmatch(_pattern(msgid), message, re.DOTALL)
    assert match, f"{message!r} is not {gettext(msgid)!r}"
    values = match.groupdict()
    if "where" in values:
        values["where"] = values.pop("neartext") or ""
    return values


@pytest.mark.parametrize(("data", "code", "msgid", "error"), [
    (b"hello, not a document", "template_not_docx", NOT_DOCX, None),
    (_zip_without_document(), "template_not_docx", NOT_DOCX, None),
    (docx_with("{{ issuer }", "x"), "template_syntax", SYNTAX, "unexpected '}'"),
    (docx_with("{% for v in red %}{{ v.name }}"), "template_syntax", SYNTAX, "Unexpected end of template"),
    (docx_with("{{ issuer }}", "{{ no_such_thing }}"), "template_unknown_variable", UNKNOWN,
     "'no_such_thing' is undefined"),
    (docx_with("{% for v in red %}{{ v.nme }}{% endfor %}"), "template_unknown_variable", UNKNOWN, "nme"),
    (docx_with("{{ issuer|shout }}"), "template_syntax", SYNTAX, "No filter named 'shout'"),
    (docx_with("{{ ''.__class__.__mro__ }}"), "template_unsafe", UNSAFE, "__class__"),
])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_broken_template_is_refused_with_the_reason(db, data, code, msgid, error, language):
    with translation.override(language), pytest.raises(Refused) as refused:
        services.template_upload(actor=SYSTEM, campaign=campaign_get(), data=data, name="broken.docx")
    assert refused.value.code == code
    with translation.override(language):  # said in the language of the one who uploads, not the site's
        values = said(msgid, refused.value.message)
    if error is None:
        assert values == {}
    else:
        assert error in values["error"]
    assert not BulletinTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action="bulletin.template_upload").exists()


TOO_MUCH_WORK = ("The template does too much work: more than %(max)s loop steps, calls and values; loops inside "
                 "loops multiply.")
TOO_MUCH_TEXT = "The template makes too much text: more than %(max)s characters in one place."
TOO_SLOW = "The template takes longer than %(max)s seconds to render."
TOO_MUCH_MEMORY = "The template needs more than %(max)s MB of memory to render."
NESTED = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"
NESTED_OVER_DATA = "{% for a in towns %}" * 5 + "{% endfor %}" * 5  # 11 townships: 161,051 steps
DOUBLING = '{% set ns = namespace(s="x") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}'
LETTERS = "".join("{% for c" + str(n) + " in title %}" for n in range(6)) + "{% endfor %}" * 6


@pytest.mark.parametrize(("template", "limits", "code", "msgid", "limit"), [
    (NESTED, {"MAX_STEPS": 100_000}, "template_too_much_work", TOO_MUCH_WORK, "100,000"),
    (NESTED_OVER_DATA, {"MAX_STEPS": 100_000}, "template_too_much_work", TOO_MUCH_WORK, "100,000"),
    ('{{ "x" * 1000000 }}', {"MAX_OUTPUT": 100_000}, "template_too_much_text", TOO_MUCH_TEXT, "100,000"),
    ("{{ issuer|center(1000000) }}", {"MAX_OUTPUT": 100_000}, "template_too_much_text", TOO_MUCH_TEXT, "100,000"),
    (DOUBLING, {"MAX_OUTPUT": 100_000}, "template_too_much_text", TOO_MUCH_TEXT, "100,000"),
    (LETTERS, {"MAX_SECONDS": 0.5}, "template_too_slow", TOO_SLOW, "0.5"),
    ('{{ ("x" * 100000000)|length }}', {"MAX_OUTPUT": 10**9, "MAX_MEMORY_MB": 32}, "template_too_much_memory",
     TOO_MUCH_MEMORY, "32"),
], ids=["nested-ranges", "nested-data", "long-text", "wide-filter", "doubling", "slow", "memory"])
def test_a_template_that_works_too_much_is_refused_naming_the_bound(db, monkeypatch, template, limits, code, msgid,
                                                                     limit):
    from dudao.bulletins import bounds

    for name, value in limits.items():
        monkeypatch.setattr(bounds, name, value)
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.template_upload(actor=SYSTEM, campaign=campaign_get(), data=docx_with("{{ issuer }}", template),
                                 name="heavy.docx")
    assert (refused.value.code, refused.value.message) == (code, msgid % {"max": limit})
    assert not BulletinTemplate.objects.exists()
    assert not AuditEvent.objects.filter(action="bulletin.template_upload").exists()


def test_the_bounds_are_said_in_the_users_language(db, monkeypatch):
    from dudao.bulletins import bounds

    monkeypatch.setattr(bounds, "MAX_STEPS", 100_000)
    with translation.override("zh-hans"), pytest.raises(Refused) as refused:
        services.template_upload(actor=SYSTEM, campaign=campaign_get(), data=docx_with(NESTED), name="heavy.docx")
    with translation.override("zh-hans"):
        assert refused.value.message == gettext(TOO_MUCH_WORK) % {"max": "100,000"}
    assert refused.value.message != TOO_MUCH_WORK % {"max": "100,000"}


def test_a_template_within_the_bounds_renders_in_the_child_and_its_loops_still_work(db):
    template = ("{% for i in range(3) %}{{ i }}{% endfor %}|{{ range(4)|length }}|{{ towns|length }}|"
                "{% for v in towns %}{% if loop.first %}{{ v.name }}{% endif %}{% endfor %}")
    stored = services.template_upload(actor=SYSTEM, campaign=campaign_get(), data=docx_with(template), name="ok.docx")
    assert stored.active
    made = services.bulletin_generate(actor=SYSTEM, round_=latest())
    text = [p.text for p in Document(default_storage.open(made.docx_name)).paragraphs]
    assert text == ["012|4|11|一条山镇"]


def test_a_syntax_error_names_the_line_and_the_tag(db):
    with pytest.raises(Refused) as refused:
        services.template_upload(actor=SYSTEM, campaign=campaign_get(),
                                 data=docx_with("开头", "{% if counts.red > %}红{% endif %}"), name="t.docx")
    values = said(SYNTAX, refused.value.message)
    assert values["line"].isdigit() and int(values["line"]) >= 1
    assert "{% if counts.red > %}" in values["where"]


def test_the_page_shows_why_a_template_was_refused(client_of, db):
    client = client_of("office")
    response = client.post("/bulletins/template/", {"action": "upload",
                                                    "file": io.BytesIO(docx_with("{{ nope }}"))})
    assert response.status_code == 302
    assert trials_run() == [f"refused: {TemplateTrial.objects.get().message}"]  # the worker's part
    page = client.get("/bulletins/template/").content.decode()
    assert 'id="template-trial" data-state="refused"' in page
    assert "nope" in page
    assert not BulletinTemplate.objects.exists()


def test_the_template_page_documents_the_variables(client_of, db):
    page = client_of("office").get("/bulletins/template/").content.decode()
    for name in ("issuer", "doc_number", "summary", "towns", "interviews", "chart"):
        assert f"<code>{name}" in page


def test_only_the_office_uploads(users, db):
    for role in ("leader", "town_staff", "village_staff", "inspector"):
        with pytest.raises(services.PermissionDenied):
            services.template_upload(actor=users[role], campaign=campaign_get(), data=word.default_template(),
                                     name="t.docx")


def test_an_earlier_template_can_be_used_again(client_of, db):
    campaign = campaign_get()
    first = services.template_upload(actor=SYSTEM, campaign=campaign, data=docx_with("A {{ week }}"), name="a.docx")
    services.template_upload(actor=SYSTEM, campaign=campaign, data=docx_with("B {{ week }}"), name="b.docx")
    assert BulletinTemplate.objects.get(active=True).name == "b.docx"
    client_of("office").post("/bulletins/template/", {"action": "activate", "template": first.pk})
    assert BulletinTemplate.objects.get(active=True).pk == first.pk


def test_the_letterhead_form_changes_new_bulletins_only(client_of, bulletin):
    client = client_of("office")
    response = client.post("/bulletins/template/", {"action": "letterhead", "issuer": "景泰县整治办",
                                                    "number_prefix": "景整"})
    assert response.status_code == 302
    assert services.letterhead_get(campaign_get()) == ("景泰县整治办", "景整")
    again = services.bulletin_generate(actor=SYSTEM, round_=latest())
    assert again.letterhead == bulletin.letterhead
    earlier = Round.objects.filter(status="published").order_by("week_start").first()
    Bulletin.objects.filter(round=earlier).delete()  # the demo made it: this is its first making
    first = services.bulletin_generate(actor=SYSTEM, round_=earlier)
    assert first.letterhead["issuer"] == "景泰县整治办"
    assert first.letterhead["doc_number"].startswith("景整〔")
    assert client.post("/bulletins/template/", {"action": "letterhead", "issuer": "",
                                                "number_prefix": "x"}).status_code == 400


# A template that renders the latest week but not an older one ------------------------------------------------


def older() -> Round:
    return Round.objects.filter(status="published").order_by("-week_start")[1]


@pytest.fixture
def week_dependent_template(db) -> BulletinTemplate:
    """Accepted on upload (the check renders the latest week, where the branch is not taken), broken on others:
    StrictUndefined only fires on the paths a week takes."""
    data = docx_with("{{ issuer }}", f'{{% if week != "{latest().week}" %}}{{{{ nope }}}}{{% endif %}}')
    return services.template_upload(actor=SYSTEM, campaign=campaign_get(), data=data, name="weekly.docx")


def _refused_on_older_week(message: str, week: str) -> None:
    reason = said(NOT_MADE, message)
    assert reason["week"] == week
    assert said(UNKNOWN, reason["reason"])["error"] == "'nope' is undefined"


def test_a_template_failing_on_another_week_is_refused_with_the_reason(week_dependent_template):
    round_ = older()
    made = Bulletin.objects.get(round=round_)
    events = AuditEvent.objects.filter(action="bulletin.generate").count()
    with pytest.raises(Refused) as refused:
        services.bulletin_generate(actor=SYSTEM, round_=round_)
    assert refused.value.code == "template_unknown_variable"
    _refused_on_older_week(refused.value.message, round_.week)
    assert Bulletin.objects.get(round=round_).docx_sha256 == made.docx_sha256  # the issued one stays
    assert AuditEvent.objects.filter(action="bulletin.generate").count() == events
    # The latest week still renders with it.
    assert services.bulletin_generate(actor=SYSTEM, round_=latest()).template_sha256 == \
        week_dependent_template.sha256


def test_regenerating_with_a_template_failing_on_that_week_shows_why(client_of, week_dependent_template):
    round_ = older()
    made = Bulletin.objects.get(round=round_)
    client = client_of("office")
    response = client.post(f"/bulletins/{round_.week}/regenerate/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == f"/bulletins/{round_.week}/"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    [shown] = [m for m in page.context["messages"] if m.level_tag == "error"]
    _refused_on_older_week(str(shown), round_.week)
    assert Bulletin.objects.get(round=round_).docx_sha256 == made.docx_sha256


def test_the_queued_making_refused_by_the_template_is_logged_and_shown(client_of, week_dependent_template, caplog):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from dudao.bulletins.tasks import generate_bulletin
    from dudao.worker.runner import Worker

    round_ = older()
    Bulletin.objects.filter(round=round_).delete()  # as if the week had just been published
    queued = DBTaskResult.objects.get(id=generate_bulletin.enqueue(round_.pk).id)
    queued.claim("test")
    with caplog.at_level("WARNING", logger="dudao.bulletins.services"):
        Worker(interval=0).tasks.run_task(queued)
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL  # a refusal, not a crash to retry
    assert queued.return_value.startswith(services.REFUSED_PREFIX)
    assert not Bulletin.objects.filter(round=round_).exists()
    [record] = [r for r in caplog.records if r.name == "dudao.bulletins.services"]
    assert record.levelname == "WARNING" and record.exc_info is None
    assert record.getMessage().startswith(f"the bulletin of week {round_.week} was not made: ")
    assert "'nope' is undefined" in record.getMessage()

    office = client_of("office").get(f"/bulletins/{round_.week}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="not-made"' in office and 'id="being-made"' not in office
    assert "&#x27;nope&#x27; is undefined" in office
    assert 'href="/bulletins/template/"' in office
    village = client_of("village_staff").get(f"/bulletins/{round_.week}/", HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="not-made"' in village.content.decode() and "nope" not in village.content.decode()
    # Made from the page once the default template is back: the page shows the bulletin.
    services.template_use_default(actor=SYSTEM, campaign=campaign_get())
    assert services.bulletin_failure(round_) is not None  # the task's outcome stays; the bulletin now exists
    services.bulletin_generate(actor=SYSTEM, round_=round_)
    page = client_of("office").get(f"/bulletins/{round_.week}/").content.decode()
    assert 'id="downloads"' in page and 'id="not-made"' not in page


def test_a_round_whose_making_was_not_refused_has_no_failure(db):
    assert services.bulletin_failure(older()) is None


# Odd input -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "status"), [
    ("abc", 400), ("1.5", 400), ("-1", 400), ("²", 400), ("", 400), ("99999999999999999999999", 404),
])
def test_activating_a_template_by_a_malformed_or_unknown_id_is_not_a_server_error(client_of, db, value, status):
    response = client_of("office").post("/bulletins/template/", {"action": "activate", "template": value})
    assert response.status_code == status
    assert not BulletinTemplate.objects.filter(active=True).exists()


def test_activating_an_earlier_template_by_its_id(client_of, week_dependent_template):
    services.template_use_default(actor=SYSTEM, campaign=campaign_get())
    response = client_of("office").post("/bulletins/template/", {"action": "activate",
                                                                 "template": str(week_dependent_template.pk)})
    assert response.status_code == 302
    assert BulletinTemplate.objects.get(active=True).pk == week_dependent_template.pk


XIQUAN = "620423103000"  # 喜泉镇, demo_town's township


def test_the_week_page_shows_the_kept_summary_and_each_tier_s_count(client_of, bulletin, monkeypatch):
    round_ = bulletin.round
    Bulletin.objects.filter(pk=bulletin.pk).update(summary={})  # made before the summary was kept
    page = html.unescape(client_of("leader").get(f"/bulletins/{bulletin.week}/", HTTP_ACCEPT_LANGUAGE="en")
                         .content.decode())
    kept = Bulletin.objects.get(pk=bulletin.pk).summary
    assert f'<p id="bulletin-summary">{kept["text"]}</p>' in page
    for tier, label in (("green", "绿"), ("yellow", "黄"), ("red", "红")):
        count = Result.objects.filter(round=round_, tier=tier).count()
        assert [row[3] for row in kept["styles"] if row[0] == tier] == [count]
        colour = next(row[2] for row in kept["styles"] if row[0] == tier)
        assert f'data-tier="{tier}" data-tier-colour="{colour}">{label}</span> {count} villages</span>' in page

    def rebuilt(*args, **kwargs):
        raise AssertionError("the bulletin's content was built again for the page")

    monkeypatch.setattr(services, "build", rebuilt)
    again = html.unescape(client_of("leader").get(f"/bulletins/{bulletin.week}/").content.decode())
    assert f'<p id="bulletin-summary">{kept["text"]}</p>' in again
    assert 'id="content-changed"' not in again


def test_the_office_is_told_when_the_week_s_data_changed_after_the_bulletin_was_made(client_of, bulletin,
                                                                                     monkeypatch):
    """The office's view reads the week's data each time; content is assembled again only for inputs this process
    has not seen (a province's bulletin takes most of a second to assemble), and a change is seen at once. The
    leader, who cannot make the bulletin again, is not told."""
    from dudao.bulletins import content

    office, leader = client_of("office"), client_of("leader")
    path = f"/bulletins/{bulletin.week}/"
    assert 'id="content-changed"' not in office.get(path).content.decode()
    assembled: list[str] = []
    real = content.assemble
    monkeypatch.setattr(content, "assemble", lambda inputs: assembled.append(inputs.week) or real(inputs))
    assert 'id="content-changed"' not in office.get(path).content.decode()
    assert assembled == []  # the same inputs as a moment ago

    red = Result.objects.filter(round=bulletin.round, tier="red")
    streaks = dict(red.values_list("pk", "red_streak"))
    assert streaks
    red.update(red_streak=9)
    assert 'id="content-changed"' in office.get(path).content.decode()
    assert assembled == [bulletin.week]
    assert 'id="content-changed"' not in leader.get(path).content.decode()
    for pk, streak in streaks.items():
        Result.objects.filter(pk=pk).update(red_streak=streak)
    assert 'id="content-changed"' not in office.get(path).content.decode()
    assert assembled == [bulletin.week]  # back to inputs seen before


def test_the_week_page_links_the_township_s_pages(client_of, bulletin):
    week = bulletin.week
    town = client_of("town_staff").get(f"/bulletins/{week}/").content.decode()
    assert f'href="/bulletins/{week}/villages.pdf?town={XIQUAN}"' in town
    office = client_of("office").get(f"/bulletins/{week}/").content.decode()
    assert f'<form method="get" action="/bulletins/{week}/villages.pdf" id="town-extracts"' in office
    assert office.count("<option value=\"620423") == 11
    assert 'id="town-extracts"' not in client_of("village_staff").get(f"/bulletins/{week}/").content.decode()
    # The township's own page links them too.
    unit = client_of("town_staff").get(f"/units/{XIQUAN}/").content.decode()
    assert f'href="/bulletins/{week}/villages.pdf?town={XIQUAN}"' in unit
