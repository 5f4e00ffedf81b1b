"""An office's Word template is tried by the worker, not in the web request (issue 17, decision 0018): the upload
queues the trial and the page says "checking…"; the worker makes the latest published week's bulletin with it
(bounded, in a child process: decision 0013) and the page shows the result; a template that works too much is
refused with the bound's message and nothing is stored."""

import io

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from dudao.audit.models import AuditEvent
from dudao.bulletins import bounds, word
from dudao.bulletins.models import BulletinTemplate, TemplateTrial
from dudao.bulletins.tasks import check_template
from dudao.campaigns.services import campaign_get

from .test_bulletins_pages import docx_with

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
NESTED = "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}"
TOO_MUCH_WORK = ("The template does too much work: more than 100,000 loop steps, calls and values; loops inside "
                 "loops multiply.")


@pytest.fixture
def office(users, client_for):
    return client_for(users["office"])


@pytest.fixture
def only_trials():
    """The demo's queued bulletins are not these tests' business: the worker finds only what a test queues."""
    DBTaskResult.objects.all().delete()


def upload(client, data: bytes, name: str = "t.docx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post("/bulletins/template/", {"action": "upload", "file": file}, **EN)


def test_the_upload_queues_the_trial_and_renders_nothing(office, only_trials, monkeypatch):
    def rendered(*args, **kwargs):
        raise AssertionError("a template was rendered in the web request")

    monkeypatch.setattr(word, "check", rendered)
    monkeypatch.setattr(word, "render_checked", rendered)
    response = upload(office, docx_with("{{ issuer }}"), "我们的模板.docx")
    assert (response.status_code, response["Location"]) == (302, "/bulletins/template/")
    trial = TemplateTrial.objects.get()
    assert (trial.state, trial.name, trial.language, trial.uploaded_by_label) == (
        "checking", "我们的模板.docx", "en", "demo_office")
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.status, task.args_kwargs["args"]) == (check_template.module_path, "READY",
                                                                      [trial.pk])
    assert not BulletinTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="bulletin.template_trial").latest("pk").after["trial"] == trial.pk
    page = office.get("/bulletins/template/", **EN).content.decode()
    assert (f'id="template-trial" data-state="checking" data-poll="/bulletins/template/trials/{trial.pk}/"'
            in page)
    assert "Checking 我们的模板.docx on the latest published week…" in page
    assert office.get(f"/bulletins/template/trials/{trial.pk}/").json() == {"state": "checking", "message": ""}


def test_the_worker_tries_it_and_the_page_shows_it_in_use(office, only_trials):
    data = docx_with("自定义 {{ week }}")
    upload(office, data)
    call_command("worker", "--once", stderr=io.StringIO())
    trial = TemplateTrial.objects.get()
    active = BulletinTemplate.objects.get(campaign=campaign_get(), active=True)
    assert (trial.state, trial.template, bytes(active.data)) == ("accepted", active, data)
    assert DBTaskResult.objects.get().return_value == "accepted"
    assert office.get(f"/bulletins/template/trials/{trial.pk}/").json() == {"state": "accepted", "message": ""}
    page = office.get("/bulletins/template/", **EN).content.decode()
    assert ('id="template-trial" data-state="accepted">t.docx was checked on the latest published week and is now '
            'used for new bulletins.') in page
    event = AuditEvent.objects.filter(action="bulletin.template_upload").latest("pk")
    assert event.actor_label == "user:demo_office"


def test_a_template_that_works_too_much_is_refused_by_the_worker_naming_the_bound(office, only_trials, monkeypatch):
    monkeypatch.setattr(bounds, "MAX_STEPS", 100_000)
    upload(office, docx_with("{{ issuer }}", NESTED), "heavy.docx")
    call_command("worker", "--once", stderr=io.StringIO())
    trial = TemplateTrial.objects.get()
    assert (trial.state, trial.message) == ("refused", TOO_MUCH_WORK)
    assert not BulletinTemplate.objects.exists()
    assert office.get(f"/bulletins/template/trials/{trial.pk}/").json() == {"state": "refused",
                                                                            "message": TOO_MUCH_WORK}
    page = office.get("/bulletins/template/", **EN).content.decode()
    assert f"heavy.docx was refused: {TOO_MUCH_WORK}" in page
    assert "Nothing was stored; the template in use did not change." in page


def test_a_trial_run_twice_is_done_once(office, only_trials):
    from dudao.bulletins.services import template_trial_run

    upload(office, docx_with("{{ issuer }}"))
    trial = TemplateTrial.objects.get()
    assert template_trial_run(trial.pk) == "accepted"
    assert template_trial_run(trial.pk) == "skipped"
    assert BulletinTemplate.objects.count() == 1


@pytest.mark.parametrize("role", ["leader", "town_staff", "inspector"])
def test_only_the_office_uploads_and_follows_a_trial(role, users, client_for, office, only_trials):
    upload(office, docx_with("{{ issuer }}"))
    trial = TemplateTrial.objects.get()
    other = client_for(users[role])
    assert upload(other, docx_with("{{ issuer }}")).status_code == 403
    assert other.get(f"/bulletins/template/trials/{trial.pk}/").status_code == 403
    assert TemplateTrial.objects.count() == 1
