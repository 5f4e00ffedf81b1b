"""Every write of a good practice (好经验好做法): written and submitted by its township (or the office), published or
returned with a reason by the office, withdrawn from the portal by the office. Each is atomic and audit-logged; the
order is dudao.practices.lifecycle's."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import require_office
from dudao.accounts.actors import recorded_by
from dudao.audit.services import audit_record
from dudao.core.errors import Refused, cleaned_text
from dudao.org.models import Level, Unit
from dudao.photos.services import checked, discard, files_store
from dudao.practices import lifecycle
from dudao.practices.access import may_write
from dudao.practices.models import Practice, Status

TITLE_MAX = 100
TEXT_MAX = 5000
REASON_MAX = 500


def towns_of(campaign):
    return Unit.objects.of_campaign(campaign).filter(active=True, level=Level.TOWN).order_by("path")


def _require_writer(actor, town: Unit) -> None:
    if not may_write(actor, town):
        raise PermissionDenied


def _refuse_move(practice: Practice, transition: str) -> str:
    try:
        return lifecycle.next_status(practice.status, transition)
    except lifecycle.TransitionRefused:
        raise Refused("bad_transition", _("“%(title)s” is %(status)s: that cannot be done now.")
                      % {"title": practice.title, "status": Status(practice.status).label}) from None


def _locked(practice: Practice) -> Practice:
    return Practice.objects.select_for_update().get(pk=practice.pk)


def practice_save(*, actor, campaign, town: Unit, title: str, text: str, photo: bytes | None = None,
                  practice: Practice | None = None, synthetic: bool = False) -> Practice:
    """Write a new practice of the township (``practice`` None) or change a draft or a returned one. A photo, if
    given, is checked and re-encoded (photos.services.checked) and replaces the one kept."""
    _require_writer(actor, town)
    if practice is not None and practice.town_id != town.pk:
        raise PermissionDenied
    if not towns_of(campaign).filter(pk=town.pk).exists():
        raise Refused("bad_town", _("Pick a township of the campaign."))
    title = cleaned_text(title, code="title", empty=_("Give the write-up a title."), maximum=TITLE_MAX)
    text = cleaned_text(text, code="text", empty=_("Write what worked."), maximum=TEXT_MAX)
    now = timezone.now()
    stored: tuple[str, str] | None = None
    processed = None
    if photo is not None:
        processed = checked(photo)
        stored = files_store(processed, now)
    old_files: tuple[str, str] | None = None
    try:
        with transaction.atomic():
            if practice is None:
                practice = Practice(campaign=campaign, town=town, created_at=now, synthetic=synthetic,
                                    **recorded_by("author", actor))
                before = None
            else:
                practice = _locked(practice)
                if practice.status not in lifecycle.EDITABLE:
                    raise Refused("not_editable", _("“%(title)s” is %(status)s: it can no longer be changed.")
                                  % {"title": practice.title, "status": Status(practice.status).label})
                before = {"title": practice.title, "text": practice.text, "sha256": practice.sha256}
            practice.title, practice.text, practice.updated_at = title, text, now
            if stored is not None and processed is not None:
                if practice.display_name:
                    old_files = (practice.display_name, practice.thumb_name)
                practice.display_name, practice.thumb_name = stored
                practice.width, practice.height, practice.sha256 = (processed.width, processed.height,
                                                                    processed.sha256)
            practice.save()
            audit_record(actor=actor, action="practice.create" if before is None else "practice.edit",
                         object_type="practice", object_id=str(practice.pk), before=before,
                         after={"town": town.code, "title": title, "text": text, "sha256": practice.sha256,
                                "status": practice.status})
    except BaseException:
        if stored is not None:
            discard(*stored)
        raise
    if old_files is not None:
        discard(*old_files)
    return practice


def _move(*, actor, practice: Practice, transition: str, reason: str = "") -> Practice:
    with transaction.atomic():
        practice = _locked(practice)
        before = practice.status
        practice.status = _refuse_move(practice, transition)
        now = timezone.now()
        practice.updated_at = now
        fields = ["status", "updated_at"]
        if transition in ("publish", "return", "withdraw"):
            practice.decided_at = now
            for field, value in recorded_by("decided_by", actor).items():
                setattr(practice, field, value)
            fields += ["decided_at", "decided_by", "decided_by_label"]
        if transition == "publish":
            practice.published_at, practice.reason = now, ""
            fields += ["published_at", "reason"]
        if transition in ("return", "withdraw"):
            practice.reason = reason
            fields.append("reason")
        practice.save(update_fields=fields)
        audit_record(actor=actor, action=f"practice.{transition}", object_type="practice",
                     object_id=str(practice.pk), before={"status": before},
                     after={"status": practice.status, **({"reason": reason} if reason else {})})
    return practice


def practice_submit(*, actor, practice: Practice) -> Practice:
    """The township hands the write-up to the office."""
    _require_writer(actor, practice.town)
    return _move(actor=actor, practice=practice, transition="submit")


def practice_publish(*, actor, practice: Practice) -> Practice:
    """The office selects it: it shows on the portal (/public/practices/)."""
    require_office(actor)
    return _move(actor=actor, practice=practice, transition="publish")


def _reason(reason: str) -> str:
    return cleaned_text(reason, code="reason", empty=_("Give the reason the township will read."), maximum=REASON_MAX)


def practice_return(*, actor, practice: Practice, reason: str) -> Practice:
    """The office hands it back to the township with a reason; the township may change it and submit it again."""
    require_office(actor)
    return _move(actor=actor, practice=practice, transition="return", reason=_reason(reason))


def practice_withdraw(*, actor, practice: Practice, reason: str) -> Practice:
    """The office takes a published practice off the portal."""
    require_office(actor)
    return _move(actor=actor, practice=practice, transition="withdraw", reason=_reason(reason))
