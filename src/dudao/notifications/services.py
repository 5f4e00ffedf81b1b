"""In-app notifications, and e-mail to recipients who have an address (WeCom and DingTalk come with the
bulletins). A notification is stored in the transaction of its cause; e-mail goes out after that commits."""

import datetime as dt
import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from dudao.accounts.models import Role, User
from dudao.notifications.models import Notification
from dudao.org.models import Unit

log = logging.getLogger(__name__)


def render(notification: Notification) -> tuple[str, str]:
    """Title and body in the active language."""
    p = notification.params
    if notification.kind == "problem_dispatched":
        return (_("Problem %(number)s to rectify by %(deadline)s") % p,
                _("%(category)s at %(village)s: %(description)s") % p)
    if notification.kind == "problem_overdue":
        return (_("Problem %(number)s is overdue (deadline %(deadline)s)") % p,
                _("%(category)s at %(village)s: %(description)s") % p)
    if notification.kind == "problem_returned":
        return (_("Problem %(number)s was returned for rework") % p, p.get("note", ""))
    if notification.kind == "problem_rectified":
        return (_("Problem %(number)s was rectified and awaits verification") % p,
                _("%(category)s at %(village)s: %(description)s") % p)
    return notification.kind, ""


def unit_staff(*units: Unit) -> list[User]:
    """The active accounts of the villages' and townships' own staff."""
    ids = [u.pk for u in units if u is not None]
    return list(User.objects.filter(is_active=True, scope_unit_id__in=ids,
                                    role__in=[Role.TOWN_STAFF, Role.VILLAGE_STAFF]).order_by("pk"))


def notify(*, recipients: list[User], kind: str, params: dict, link: str = "") -> list[Notification]:
    """Store one notification per recipient (call inside the transaction of the cause)."""
    now = timezone.now()
    seen: set[int] = set()
    rows = []
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        rows.append(Notification(recipient=user, kind=kind, params=params, link=link, created_at=now,
                                 email_to=user.email or ""))
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.email_to]
    if ids and settings.EMAIL_HOST:
        transaction.on_commit(lambda: send_emails(ids))
    return created


def send_emails(ids: list[int]) -> None:
    """Send the notifications' e-mails over one connection; a refusal is recorded on the notification, never
    raised. A server that does not answer costs one timeout (EMAIL_TIMEOUT) for the whole batch, not one per
    message; what was not sent waits for `dudao notifications send`."""
    pending = list(Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exclude(email_to="")
                   .select_related("recipient"))
    if not pending:
        return
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        log.warning("SMTP server unreachable: %s", error)
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(email_error=str(error)[:500])
        return
    try:
        for position, notification in enumerate(pending):
            with override(settings.LANGUAGE_CODE):
                title, body = render(notification)
                link = settings.SITE_URL + notification.link if notification.link else ""
                footer = _("Open Dudao: %(link)s") % {"link": link} if link else ""
            message = EmailMessage(title, f"{body}\n\n{footer}".strip(), settings.DEFAULT_FROM_EMAIL,
                                   [notification.email_to], connection=connection)
            try:
                message.send()
            except (smtplib.SMTPServerDisconnected, TimeoutError) as error:
                # The connection is gone: the rest waits for the next try.
                rest = [n.pk for n in pending[position:]]
                Notification.objects.filter(pk__in=rest).update(email_error=str(error)[:500] or "disconnected")
                return
            except (smtplib.SMTPException, OSError) as error:
                log.warning("e-mail to %s failed: %s", notification.email_to, error)
                Notification.objects.filter(pk=notification.pk).update(email_error=str(error)[:500])
            else:
                Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now(), email_error="")
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            pass


def send_pending(*, since: dt.timedelta = dt.timedelta(days=2)) -> int:
    """Try again every e-mail not yet sent from the last two days (`dudao notifications send`, from cron)."""
    ids = list(Notification.objects.filter(emailed_at__isnull=True, created_at__gte=timezone.now() - since)
               .exclude(email_to="").values_list("pk", flat=True))
    if ids and settings.EMAIL_HOST:
        send_emails(ids)
    return Notification.objects.filter(pk__in=ids, emailed_at__isnull=False).count()


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def mark_read(*, user, ids: list[int] | None = None) -> int:
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=timezone.now())
