"""The weekly bulletin (通报): made when a round is published, and again on demand.

Writes: `bulletin_generate` (the three files, all or nothing; its document number issued once by `number_issue`),
`template_upload` / `template_use_default` / `template_activate`, `letterhead_update`. Each checks the actor's
rights, runs in one transaction and writes its audit event. Reads: `bulletins_visible_to`, `bulletin_for_week`.

This module is imported by dudao.ranking.services (the publish hook): it imports ranking only inside functions.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from dudao.accounts import access
from dudao.accounts.actors import actor_label, actor_user, recorded_by
from dudao.audit.services import audit_record
from dudao.bulletins.content import (
    BulletinContent,
    build,
    content_digest,
    doc_number,
    letterhead_now,
    next_serial,
    read_inputs,
)
from dudao.bulletins.models import Bulletin, BulletinTemplate, DocumentNumber, Letterhead, TemplateTrial
from dudao.bulletins.selectors import active_template
from dudao.core.errors import Refused
from dudao.ranking import lifecycle as round_lifecycle
from dudao.ranking.selectors import latest_published_round

log = logging.getLogger(__name__)


def template_bytes(campaign) -> tuple[bytes | None, str]:
    """The active template's bytes (None for the default) and the SHA-256 of what is used."""
    from dudao.bulletins import word

    active = active_template(campaign)
    if active is not None:
        return bytes(active.data), active.sha256
    return None, _sha256(word.default_template())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Making the files ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Files:
    docx: bytes
    pdf: bytes
    xlsx: bytes


def render_all(content: BulletinContent, template: bytes | None, summary: bool = False) -> Files:
    from dudao.bulletins import annex, pdf, word

    return Files(docx=word.render(content, template, summary=summary), pdf=pdf.render(content, summary=summary),
                 xlsx=annex.render(content))


def _site_language() -> str:
    from django.conf import settings

    return settings.LANGUAGE_CODE


def _document_language():
    """Bulletins are written in the site's language whoever asks (the same content every time); what is said to
    the person asking (a refusal) stays in theirs."""
    return translation.override(_site_language())


def storage_name(campaign_slug: str, week: str, revision: int, kind: str, digest: str) -> str:
    return f"bulletins/{campaign_slug}/{week}/{week}-r{revision}-{digest[:16]}.{kind}"


def _save_file(name: str, data: bytes) -> tuple[str, bool]:
    """Store under the name (which carries the content's hash): an existing file of that name is the same file.
    Returns the name and whether this call wrote it."""
    if default_storage.exists(name):
        return name, False
    saved = default_storage.save(name, ContentFile(data))
    return saved, True


def _delete_quietly(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 - cleaning up after a failure must not hide the failure
            log.warning("could not delete %s", name)


def summary_of(content) -> dict:
    """What the week's page shows of a bulletin's content (Bulletin.summary), in the active language."""
    from dudao.bulletins import document

    counts = dict(zip(("green", "yellow", "red"), content.counts, strict=True))
    return {"text": document.context(content)["summary"],
            "styles": [[s.code, s.label, s.colour, counts.get(s.code, 0)] for s in content.styles]}


def page_summary(bulletin: Bulletin) -> dict:
    """The bulletin's kept summary; one made before summaries were kept gets it now, from its round (once)."""
    if not bulletin.summary:
        with _document_language():
            summary = summary_of(build(bulletin.round, letterhead=bulletin.letterhead, chart=False))
        Bulletin.objects.filter(pk=bulletin.pk).update(summary=summary)
        bulletin.summary = summary
    return bulletin.summary


def content_changed(bulletin: Bulletin) -> bool:
    """Whether the week's content now differs from what the bulletin was made of (making it again would change it)."""
    with _document_language():
        inputs = read_inputs(bulletin.round, letterhead=bulletin.letterhead, chart=False)
    return content_digest(inputs) != bulletin.content_digest


def bulletin_generate(*, actor, round_) -> Bulletin:
    """Make (or make again) the bulletin of a published round: the files are written first, then the row is saved
    in one transaction with its audit event; if anything fails, the files this call wrote are removed. An office
    template that does not render this week is Refused with the reason (nothing written)."""
    from dudao.bulletins import annex, pdf, word

    if actor is not access.SYSTEM and not access.is_office(actor):
        raise PermissionDenied
    if round_.status not in round_lifecycle.PUBLISHED_ONCE or round_.published_at is None:
        raise Refused("bulletin_unpublished", _("Week %(week)s is not published: it has no bulletin.")
                      % {"week": round_.week})
    campaign = round_.campaign
    existing = Bulletin.objects.filter(round=round_).first()
    letterhead = existing.letterhead if existing and existing.letterhead.get("doc_number") else number_issue(
        actor=actor, round_=round_)
    with _document_language():
        content = build(round_, letterhead=letterhead)
        template, template_sha = template_bytes(campaign)
    # The office's template was tried on one week when it was uploaded; on this one it may take a path it did not
    # take then: any error of it is a refusal that says what and where, not a crash.
    try:
        docx = word.render_checked(content, template, language=_site_language())
    except Refused as exc:
        raise Refused(exc.code, _("The bulletin of week %(week)s cannot be made with the active template: "
                                  "%(reason)s") % {"week": round_.week, "reason": exc.message},
                      week=round_.week) from None
    with _document_language():
        files = Files(docx=docx, pdf=pdf.render(content), xlsx=annex.render(content))
    digest = content.digest()
    written: list[str] = []
    try:
        names = {}
        for kind in ("docx", "pdf", "xlsx"):
            data = getattr(files, kind)
            name, wrote = _save_file(storage_name(campaign.slug, round_.week, round_.revision, kind, _sha256(data)),
                                     data)
            names[kind] = name
            if wrote:
                written.append(name)
        with transaction.atomic():
            bulletin = Bulletin.objects.select_for_update().filter(round=round_).first()
            before = _snapshot(bulletin) if bulletin else None
            old_names = {bulletin.docx_name, bulletin.pdf_name, bulletin.xlsx_name} if bulletin else set()
            if bulletin is None:
                bulletin = Bulletin(campaign=campaign, round=round_, week=round_.week, revision=round_.revision)
            bulletin.docx_name, bulletin.pdf_name, bulletin.xlsx_name = names["docx"], names["pdf"], names["xlsx"]
            bulletin.docx_sha256, bulletin.pdf_sha256, bulletin.xlsx_sha256 = (
                _sha256(files.docx), _sha256(files.pdf), _sha256(files.xlsx))
            bulletin.content_digest = digest
            bulletin.template_sha256 = template_sha
            bulletin.letterhead = {"issuer": content.issuer, "doc_number": content.doc_number}
            with _document_language():
                bulletin.summary = summary_of(content)
            bulletin.generated_at = timezone.now()
            bulletin.generated_by, bulletin.generated_by_label = actor_user(actor), actor_label(actor)
            bulletin.save()
            audit_record(actor=actor, action="bulletin.generate", object_type="round",
                         object_id=f"{campaign.slug}/{round_.week}", before=before, after=_snapshot(bulletin))
            stale = old_names - set(names.values())
            if stale:
                transaction.on_commit(lambda: _delete_quietly(sorted(stale)))
    except BaseException:
        _delete_quietly(written)
        raise
    return bulletin


def number_issue(*, actor, round_) -> dict:
    """The letterhead of the round's bulletin with its document number, issued to the round now unless it has one
    (committed at once: a bulletin whose making then fails keeps its number for the next try). A number is
    issued to one round only, and a revision is another round: numbers never repeat."""
    from dudao.core import weeks

    campaign = round_.campaign
    issuer, prefix = letterhead_now(campaign)
    year = weeks.parse_week(round_.week)[0]
    for _attempt in range(3):
        issued = DocumentNumber.objects.filter(round=round_).first()
        if issued is not None:
            return {"issuer": issuer, "doc_number": doc_number(prefix, issued.year, issued.serial)}
        try:
            with transaction.atomic():
                issued = DocumentNumber.objects.create(campaign=campaign, year=year, serial=next_serial(campaign, year),
                                                       round=round_, issued_at=timezone.now())
                number = doc_number(prefix, year, issued.serial)
                audit_record(actor=actor, action="bulletin.number_issue", object_type="round",
                             object_id=f"{campaign.slug}/{round_.week}",
                             after={"revision": round_.revision, "doc_number": number})
            return {"issuer": issuer, "doc_number": number}
        except IntegrityError:
            continue  # another process issued that serial (or this round's number) at the same moment: look again
    raise RuntimeError(f"no document number could be issued to round {round_.pk}")


def _snapshot(bulletin: Bulletin) -> dict:
    return {"revision": bulletin.revision, "content": bulletin.content_digest, "template": bulletin.template_sha256,
            "docx": bulletin.docx_sha256, "pdf": bulletin.pdf_sha256, "xlsx": bulletin.xlsx_sha256,
            "doc_number": bulletin.letterhead.get("doc_number", "")}


def bulletin_on_publish(round_) -> None:
    """Called inside the transaction that publishes the round: queue the bulletin's making. The queue is a table
    of the same database, so the task exists exactly when the publication commits."""
    from dudao.bulletins.tasks import generate_bulletin

    generate_bulletin.enqueue(round_.pk)


def bulletin_generate_queued(round_id: int) -> str:
    """What the queued task does: make the round's bulletin unless it exists (the worker may run it twice)."""
    from dudao.ranking.models import Round

    round_ = Round.objects.select_related("campaign").filter(pk=round_id).first()
    if round_ is None or round_.status not in round_lifecycle.PUBLISHED_ONCE:
        return "skipped"
    if Bulletin.objects.filter(round=round_).exists():
        return "exists"
    try:
        bulletin_generate(actor=access.SYSTEM, round_=round_)
    except Refused as exc:
        # The office's template does not render this week: nothing to retry until someone changes it. Said
        # plainly in the log and kept as the task's result for the week's page.
        log.warning("the bulletin of week %s was not made: %s", round_.week, exc.message)
        return f"{REFUSED_PREFIX}{exc.message}"
    return "generated"


REFUSED_PREFIX = "refused: "


def bulletin_failure(round_) -> str | None:
    """Why the bulletin of a round could not be made when it was published (the queued task's refusal), or None:
    for the week's page while the round has no bulletin."""
    from django_tasks_db.models import DBTaskResult

    from dudao.bulletins.tasks import generate_bulletin

    outcome = (DBTaskResult.objects.filter(task_path=generate_bulletin.module_path, args_kwargs__args__0=round_.pk,
                                           finished_at__isnull=False)
               .order_by("-finished_at").values_list("return_value", flat=True).first())
    if isinstance(outcome, str) and outcome.startswith(REFUSED_PREFIX):
        return outcome[len(REFUSED_PREFIX):]
    return None


# Templates and letterhead ----------------------------------------------------------------------------------


def template_upload(*, actor, campaign, data: bytes, name: str) -> BulletinTemplate:
    """Accept a Word template after rendering the latest published week's bulletin with it; a template that does
    not render is refused with the reason and nothing is stored."""
    from dudao.bulletins import word

    access.require_office(actor)
    sample = latest_published_round(campaign)
    if sample is None:
        raise Refused("template_no_week", _("A template is checked on the latest published week; publish a week "
                                            "first."))
    with _document_language():
        try:
            content = build(sample)
        except Refused as exc:
            raise Refused("template_no_week", str(exc)) from None
    word.check(data, content, language=_site_language())
    digest = _sha256(data)
    with transaction.atomic():
        before = active_template(campaign)
        BulletinTemplate.objects.filter(campaign=campaign, active=True).update(active=False)
        template = BulletinTemplate.objects.create(
            campaign=campaign, name=name[:200] or "template.docx", data=data, size=len(data), sha256=digest,
            uploaded_at=timezone.now(), active=True, **recorded_by("uploaded_by", actor))
        audit_record(actor=actor, action="bulletin.template_upload", object_type="campaign", object_id=campaign.slug,
                     before={"template": before.sha256 if before else "default"},
                     after={"template": digest, "name": template.name, "size": len(data),
                            "checked_on": sample.week})
    return template


def template_trial_queue(*, actor, campaign, data: bytes, name: str) -> TemplateTrial:
    """Keep an uploaded template and queue its trial for the worker (decision 0022): the web request renders
    nothing. What needs no rendering is refused here already: no published week to try it on."""
    access.require_office(actor)
    if latest_published_round(campaign) is None:
        raise Refused("template_no_week", _("A template is checked on the latest published week; publish a week "
                                            "first."))
    from dudao.bulletins.tasks import check_template

    with transaction.atomic():
        trial = TemplateTrial.objects.create(
            campaign=campaign, name=name[:200] or "template.docx", data=data, uploaded_at=timezone.now(),
            language=translation.get_language() or _site_language(), **recorded_by("uploaded_by", actor))
        audit_record(actor=actor, action="bulletin.template_trial", object_type="campaign", object_id=campaign.slug,
                     after={"trial": trial.pk, "name": trial.name, "size": len(data), "sha256": _sha256(data)})
        check_template.enqueue(trial.pk)  # the queue is a table of this database: queued exactly when committed
    return trial


def template_trial_run(trial_id: int) -> str:
    """What the queued trial does: template_upload as the uploader, in the uploader's language; the outcome is
    kept on the trial. A trial already done (the worker may run a task twice) is left as it is."""
    trial = TemplateTrial.objects.select_related("campaign", "uploaded_by").filter(pk=trial_id).first()
    if trial is None or trial.state != TemplateTrial.State.CHECKING:
        return "skipped"
    actor = trial.uploaded_by or access.SYSTEM
    with translation.override(trial.language):
        try:
            template = template_upload(actor=actor, campaign=trial.campaign, data=bytes(trial.data), name=trial.name)
        except (Refused, PermissionDenied) as exc:
            message = exc.message if isinstance(exc, Refused) else _("You may not change the template any more.")
            TemplateTrial.objects.filter(pk=trial.pk).update(
                state=TemplateTrial.State.REFUSED, message=message, finished_at=timezone.now())
            return f"{REFUSED_PREFIX}{message}"
    TemplateTrial.objects.filter(pk=trial.pk).update(state=TemplateTrial.State.ACCEPTED, template=template,
                                                     finished_at=timezone.now())
    return "accepted"


def template_activate(*, actor, campaign, template: BulletinTemplate) -> BulletinTemplate:
    """Bring back an earlier upload (checked again on the latest published week)."""
    from dudao.bulletins import word

    access.require_office(actor)
    sample = latest_published_round(campaign)
    if sample is not None:
        with _document_language():
            content = build(sample)
        word.check(bytes(template.data), content, language=_site_language())
    with transaction.atomic():
        before = active_template(campaign)
        BulletinTemplate.objects.filter(campaign=campaign, active=True).update(active=False)
        BulletinTemplate.objects.filter(pk=template.pk).update(active=True)
        audit_record(actor=actor, action="bulletin.template_activate", object_type="campaign",
                     object_id=campaign.slug, before={"template": before.sha256 if before else "default"},
                     after={"template": template.sha256, "name": template.name})
    template.active = True
    return template


def template_use_default(*, actor, campaign) -> None:
    access.require_office(actor)
    with transaction.atomic():
        before = active_template(campaign)
        if before is None:
            return
        BulletinTemplate.objects.filter(campaign=campaign, active=True).update(active=False)
        audit_record(actor=actor, action="bulletin.template_default", object_type="campaign",
                     object_id=campaign.slug, before={"template": before.sha256}, after={"template": "default"})


def letterhead_get(campaign) -> tuple[str, str]:
    from dudao.bulletins.content import default_letterhead

    stored = Letterhead.objects.filter(campaign=campaign).first()
    if stored is not None:
        return stored.issuer, stored.prefix
    return default_letterhead(campaign.county.name if campaign.county_id else "")


def letterhead_update(*, actor, campaign, issuer: str, prefix: str) -> Letterhead:
    """The issuing office and number prefix of bulletins issued from now on (issued ones keep theirs)."""
    access.require_office(actor)
    issuer, prefix = issuer.strip(), prefix.strip()
    if not issuer or not prefix:
        raise Refused("letterhead_empty", _("Give the issuing office and the document number prefix."))
    if len(issuer) > 100 or len(prefix) > 30:
        raise Refused("letterhead_long", _("The issuing office is at most 100 characters and the prefix 30."))
    with transaction.atomic():
        before = letterhead_get(campaign)
        letterhead, _created = Letterhead.objects.update_or_create(
            campaign=campaign, defaults={"issuer": issuer, "prefix": prefix, **recorded_by("updated_by", actor)})
        audit_record(actor=actor, action="bulletin.letterhead", object_type="campaign", object_id=campaign.slug,
                     before={"issuer": before[0], "prefix": before[1]}, after={"issuer": issuer, "prefix": prefix})
    return letterhead
