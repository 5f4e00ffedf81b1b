"""Every write of a notice: the office publishes it (with its file checked by content and stored) and withdraws it;
both atomic and audit-logged."""

import datetime as dt
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dudao.accounts.access import require_office
from dudao.accounts.actors import recorded_by
from dudao.audit.services import audit_record
from dudao.core.errors import Refused, cleaned_text
from dudao.notices import documents, lifecycle
from dudao.notices.models import Notice, Status

TITLE_MAX = 100
TEXT_MAX = 2000
REASON_MAX = 500
FILE_MAX_MB = 10
MIB = 1024 * 1024


def check_file(data: bytes) -> str:
    """The file's kind (pdf or docx), or Refused."""
    if len(data) > FILE_MAX_MB * MIB:
        raise Refused("file_too_large", _("The file is too large: at most %(max)s MB.") % {"max": FILE_MAX_MB})
    kind = documents.kind_of(data)
    if kind is None:
        raise Refused("file_kind", _("Attach a PDF or a Word (.docx) document."))
    return kind


def notice_publish(*, actor, campaign, title: str, date: dt.date, text: str = "",
                   data: bytes | None = None) -> Notice:
    """Publish a notice on the portal, with its file if given."""
    require_office(actor)
    title = cleaned_text(title, code="title", maximum=TITLE_MAX, empty=_("Give the notice a title."))
    text = cleaned_text(text, code="text", maximum=TEXT_MAX)
    kind = check_file(data) if data is not None else ""
    name = default_storage.save(f"notices/{uuid.uuid4().hex}.{kind}", ContentFile(data)) if data is not None else ""
    now = timezone.now()
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                campaign=campaign, title=title, date=date, text=text, file_name=name, file_kind=kind,
                file_bytes=len(data) if data is not None else None, created_at=now, updated_at=now,
                **recorded_by("created_by", actor))
            audit_record(actor=actor, action="notice.publish", object_type="notice", object_id=str(notice.pk),
                         after={"status": notice.status, "title": title, "date": date.isoformat(), "text": text,
                                "file": kind or None})
    except BaseException:
        if name:
            default_storage.delete(name)
        raise
    return notice


def notice_withdraw(*, actor, notice: Notice, reason: str) -> Notice:
    """Take a notice off the portal (its file too); the reason stays in the office's list."""
    require_office(actor)
    reason = cleaned_text(reason, code="reason", maximum=REASON_MAX, empty=_("Say why it is withdrawn."))
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        try:
            status = lifecycle.next_status(notice.status, "withdraw")
        except lifecycle.TransitionRefused:
            raise Refused("bad_transition", _("“%(title)s” is %(status)s: that cannot be done now.")
                          % {"title": notice.title, "status": Status(notice.status).label}) from None
        notice.status, notice.reason, notice.updated_at = status, reason, timezone.now()
        notice.save(update_fields=["status", "reason", "updated_at"])
        audit_record(actor=actor, action="notice.withdraw", object_type="notice", object_id=str(notice.pk),
                     before={"status": lifecycle.PUBLISHED}, after={"status": status, "reason": reason})
    return notice
