"""Senders: SMTP e-mail, WeCom and DingTalk group robots, and a pluggable SMS interface.

Every sender returns an Outcome and never raises for a fault of the other side. An outcome that failed is
either retryable (connection refused, timeout, HTTP 5xx or 429, a robot's rate limit, SMTP 4xx) or permanent
(HTTP 3xx or 4xx, an invalid address, SMTP 5xx): dudao.notifications.outbox backs off on the first and gives up
at once on the second. An exception a sender did not expect (a bug, an SMS gateway class raising anything but
SmsError) is a retryable failure too: it is recorded, never lets a worker die.

A failed outcome carries a short ``code`` (translated for the outbox page by ``reason_label``) and an English
``error`` with the detail. Neither ever holds a webhook's address (its ``key=``/``access_token=`` is a
credential), and ``response`` keeps only a short JSON summary (errcode, errmsg) of what a robot answered.
"""

import abc
import base64
import hashlib
import hmac
import http.client
import json
import logging
import re
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

TIMEOUT = 5  # seconds, for webhooks (e-mail uses EMAIL_TIMEOUT)
RESPONSE_SNIPPET = 500
# Answers of the robots that say "not now" (rate limit, busy): worth trying again later.
WECOM_RETRY_ERRCODES = {-1, 45009}
DINGTALK_RETRY_ERRCODES = {-1, 130101}


# What went wrong, by code: the label the outbox page shows (in the reader's language) next to the English detail.
REASONS: dict[str, Promise] = {
    "connection_refused": _("connection refused"),
    "timeout": _("no answer in time"),
    "host_not_found": _("host name not found"),
    "connection_failed": _("cannot connect"),
    "invalid_address": _("invalid webhook address"),
    "host_not_allowed": _("the robot's host is not one robots may use (DUDAO_ROBOT_HOSTS)"),
    "redirect": _("the robot address redirects"),
    "http_error": _("the robot's server refused the message"),
    "robot_refused": _("the robot refused the message"),
    "robot_unclear": _("the robot's answer has no errcode"),
    "sms_backend": _("the SMS sender cannot be loaded"),
    "sms_refused": _("the SMS gateway did not take the message"),
    "smtp_refused": _("the mail server refused the message"),
    "smtp_unreachable": _("the mail server cannot be reached"),
    "smtp_lost": _("the connection to the mail server was lost"),
    "smtp_error": _("mail server error"),
    "sender_error": _("unexpected error while sending"),
    "unsupported": _("this kind of message cannot be sent"),
    "robot_disabled": _("robot disabled"),
    "outcome_unknown": _("sending began but its outcome was never recorded; not sent again, so that it is not sent "
                         "twice (retry it if it did not arrive)"),
}


def reason_label(code: str, detail: str = "") -> str:
    """The translated label of a failure's code; the stored detail when the code is unknown (older rows)."""
    label = REASONS.get(code)
    return str(label) if label is not None else detail


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool = False
    error: str = ""
    http_status: int | None = None
    errcode: int | None = None
    response: str = ""
    code: str = ""


SENT = Outcome(ok=True)


def crashed(error: BaseException, *, redact: str = "") -> Outcome:
    """An exception a sender did not expect: a retryable failure with its type and message (``redact``, a
    webhook's address, is never part of the message)."""
    text = str(error)
    if redact:
        text = text.replace(redact, redacted_url(redact))
    return Outcome(ok=False, retryable=True, code="sender_error", error=f"{type(error).__name__}: {text}"[:500])


def redacted_url(url: str) -> str:
    """The address without the values of its query (a robot's key or access token is a credential)."""
    head, _sep, query = url.partition("?")
    if not query:
        return url
    parts = [p.split("=", 1)[0] + "=…" if "=" in p else p for p in query.split("&")]
    return head + "?" + "&".join(parts)


def answer_summary(raw: bytes | str) -> str:
    """What is kept of a robot's answer: its errcode and errmsg as short JSON, nothing else (an answer is not
    ours to store or show: a proxy or a redirected address may answer anything)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        answer = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(answer, dict):
        return ""
    summary: dict = {}
    errcode = answer.get("errcode")
    if isinstance(errcode, int) and not isinstance(errcode, bool):
        summary["errcode"] = errcode
    elif isinstance(errcode, str):
        summary["errcode"] = errcode[:20]
    if "errmsg" in answer:
        summary["errmsg"] = str(answer["errmsg"])[:200]
    return json.dumps(summary, ensure_ascii=False)[:RESPONSE_SNIPPET] if summary else ""


# Webhooks ----------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would turn the POST into a GET of wherever the answer points (an
    intranet address, say) and hand us that page. A 3xx is then an HTTPError, a permanent failure."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(_NoRedirect)


def robot_address_problem(url: str) -> tuple[str, str] | None:
    """Why a robot may not be sent to this address — (a code of REASONS, an English detail that never quotes
    the address) — or None: http(s) with a host, no user name or password in it, and a host of
    settings.ROBOT_HOSTS. Redirects are never followed (see _opener)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "invalid_address", "invalid webhook address: not http(s) with a host"
    if "@" in parts.netloc:
        return "invalid_address", "invalid webhook address: a user name or password in it"
    if parts.hostname.lower() not in settings.ROBOT_HOSTS:
        return "host_not_allowed", "the host is not one of DUDAO_ROBOT_HOSTS"
    return None


def post_json(url: str, payload: dict, timeout: float = TIMEOUT) -> tuple[Outcome | None, int, str]:
    """POST the payload; (a failed outcome, or None with the HTTP status and body when the server answered 2xx).
    No outcome names the address: it holds the robot's credential. The address is checked again here: it may
    have been stored before the allowed hosts changed."""
    parts = urllib.parse.urlsplit(url)
    problem = robot_address_problem(url)
    if problem is not None:
        return Outcome(ok=False, code=problem[0], error=problem[1]), 0, ""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    try:
        request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 (http/https checked above)
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        with _opener().open(request, timeout=timeout) as response:
            return None, response.status, response.read(64 * 1024).decode("utf-8", errors="replace")
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400:
            return Outcome(ok=False, code="redirect", error=f"the robot address redirects (HTTP {error.code})",
                           http_status=error.code), error.code, ""
        body = answer_summary(error.read(64 * 1024) if error.fp else b"")
        retryable = error.code >= 500 or error.code in (408, 429)
        return Outcome(ok=False, retryable=retryable, code="http_error", error=f"HTTP {error.code} {error.reason}",
                       http_status=error.code, response=body), error.code, body
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, ConnectionRefusedError):
            code, text = "connection_refused", f"connection refused ({parts.hostname}:{parts.port or ''})".replace(
                ":)", ")")
        elif isinstance(reason, TimeoutError):
            code, text = "timeout", f"no answer within {timeout:g} s"
        elif isinstance(reason, socket.gaierror):
            code, text = "host_not_found", f"host name not found: {parts.hostname}"
        else:
            code, text = "connection_failed", f"cannot connect: {reason}".replace(url, redacted_url(url))
        return Outcome(ok=False, retryable=True, code=code, error=text[:500]), 0, ""
    except TimeoutError:
        return Outcome(ok=False, retryable=True, code="timeout", error=f"no answer within {timeout:g} s"), 0, ""
    except (http.client.InvalidURL, ValueError) as error:
        # The exception's text may quote the whole address: only its kind is kept.
        return Outcome(ok=False, code="invalid_address",
                       error=f"invalid webhook address ({type(error).__name__})"), 0, ""
    except (http.client.HTTPException, OSError) as error:
        text = f"connection failed: {error!r}".replace(url, redacted_url(url))
        return Outcome(ok=False, retryable=True, code="connection_failed", error=text[:500]), 0, ""


def _robot_answer(name: str, status: int, body: str, retry_codes: set[int]) -> Outcome:
    """A robot's 2xx answer: success iff the JSON says errcode 0."""
    summary = answer_summary(body)
    try:
        answer = json.loads(body)
        errcode = int(answer["errcode"])
    except (ValueError, KeyError, TypeError, IndexError):
        return Outcome(ok=False, retryable=True, code="robot_unclear",
                       error=f"{name} answered HTTP {status} without an errcode", http_status=status, response=summary)
    if errcode == 0:
        return Outcome(ok=True, http_status=status, errcode=0, response=summary)
    message = str(answer.get("errmsg", ""))[:300]
    return Outcome(ok=False, retryable=errcode in retry_codes, code="robot_refused",
                   error=f"{name} errcode {errcode}: {message}", http_status=status, errcode=errcode,
                   response=summary)


# What people typed (a description, a name) goes into robot messages as text, never as markdown: the characters
# markdown reads as markup become their full-width twins, and addresses lose what makes a client link them.
_MARKDOWN_MARKUP = str.maketrans({"\\": "＼", "`": "｀", "*": "＊", "_": "＿", "[": "［", "]": "］", "(": "（",
                                  ")": "）", "#": "＃", "<": "＜", ">": "＞", "!": "！", "|": "｜", "~": "～"})
_DOMAIN_DOT = re.compile(r"(?<=[A-Za-z0-9])\.(?=[A-Za-z]{2})")


def markdown_inert(text: str) -> str:
    """``text`` as it reads, but inert in a WeCom or DingTalk markdown message: no link, no emphasis, no tag,
    no heading, and no address a client would turn into a link by itself (``://`` and the dots of host names
    become full-width)."""
    text = text.translate(_MARKDOWN_MARKUP).replace("://", "：//")
    return _DOMAIN_DOT.sub("．", text)


def send_wecom(url: str, title: str, text: str) -> Outcome:
    """A WeCom (企业微信) group robot: markdown message; success iff HTTP 200 and errcode 0."""
    failed, status, body = post_json(url, {"msgtype": "markdown", "markdown": {"content": text}})
    return failed or _robot_answer("WeCom", status, body, WECOM_RETRY_ERRCODES)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (加签): base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


def dingtalk_url(url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def send_dingtalk(url: str, secret: str, title: str, text: str) -> Outcome:
    """A DingTalk (钉钉) group robot, signed when it has a secret: markdown message; success iff errcode 0."""
    failed, status, body = post_json(dingtalk_url(url, secret), {"msgtype": "markdown",
                                                                 "markdown": {"title": title, "text": text}})
    return failed or _robot_answer("DingTalk", status, body, DINGTALK_RETRY_ERRCODES)


# SMS -----------------------------------------------------------------------------------------------------------


class SmsError(Exception):
    """A text message that was not sent; ``retryable`` says whether trying again later can help."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class SmsBackend(abc.ABC):
    """Sends text messages. Set DUDAO_SMS_BACKEND to the dotted path of a subclass (a gateway of the county's
    provider); ``send`` returns when the gateway accepted the message and raises SmsError when it did not."""

    @abc.abstractmethod
    def send(self, phone: str, text: str) -> None: ...


class FileSmsBackend(SmsBackend):
    """For the demo and development: appends each message as one JSON line to DUDAO_SMS_FILE."""

    def send(self, phone: str, text: str) -> None:
        path = Path(settings.SMS_FILE)
        line = json.dumps({"at": timezone.now().isoformat(), "phone": phone, "text": text}, ensure_ascii=False)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(line + "\n")
        except OSError as error:
            raise SmsError(f"cannot write {path}: {error.strerror}") from None


def sms_backend() -> SmsBackend:
    backend = import_string(settings.SMS_BACKEND)
    return backend()


def send_sms(phone: str, text: str) -> Outcome:
    try:
        backend = sms_backend()
    except (ImportError, TypeError, ValueError) as error:
        return Outcome(ok=False, code="sms_backend",
                       error=f"SMS backend {settings.SMS_BACKEND!r} cannot be loaded: {error}"[:500])
    try:
        backend.send(phone, text)
    except SmsError as error:
        return Outcome(ok=False, retryable=error.retryable, code="sms_refused", error=str(error)[:500])
    except Exception as error:  # noqa: BLE001 (a gateway's class may raise anything: retried, never fatal)
        log.exception("SMS backend %s raised", settings.SMS_BACKEND)
        return crashed(error)
    return SENT


# E-mail --------------------------------------------------------------------------------------------------------


def _smtp_refusal(code: int, message: bytes | str, recipient: str = "") -> Outcome:
    text = message.decode("utf-8", errors="replace") if isinstance(message, bytes) else str(message)
    to = f" ({recipient})" if recipient else ""
    return Outcome(ok=False, retryable=400 <= code < 500, code="smtp_refused", error=f"SMTP {code} {text}{to}"[:500])


def send_emails(messages: Sequence[tuple[str, str, str]],
                ready: Callable[[int], bool] | None = None) -> Iterator[Outcome | None]:
    """Send (address, subject, body) messages over one SMTP connection, yielding one outcome per message as it
    is sent. A server that cannot be reached or drops the connection fails the rest of the batch at once
    (retryable): it costs one timeout (EMAIL_TIMEOUT) per batch, not one per message. ``ready(position)`` is
    asked just before each message is sent; when it says False the message is not sent and None is yielded."""
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        log.warning("SMTP server unreachable: %s", error)
        failed = Outcome(ok=False, retryable=True, code="smtp_unreachable",
                         error=f"SMTP server unreachable: {error}"[:500])
        for _message in messages:
            yield failed
        return
    try:
        for position, (address, subject, body) in enumerate(messages):
            if ready is not None and not ready(position):
                yield None
                continue
            try:
                message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], connection=connection)
                message.send()
            except smtplib.SMTPRecipientsRefused as error:
                code, text = next(iter(error.recipients.values()), (550, b"refused"))
                log.warning("e-mail to %s refused: %s %s", address, code, text)
                yield _smtp_refusal(code, text, address)
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
                log.warning("e-mail to %s refused: %s %s", address, error.smtp_code, error.smtp_error)
                yield _smtp_refusal(error.smtp_code, error.smtp_error)
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as error:
                # The connection is gone: this message and the rest wait for the next try.
                gone = Outcome(ok=False, retryable=True, code="smtp_lost",
                               error=f"SMTP connection lost: {error or 'disconnected'}"[:500])
                for _rest in messages[position:]:
                    yield gone
                return
            except smtplib.SMTPException as error:
                yield Outcome(ok=False, retryable=True, code="smtp_error", error=f"SMTP error: {error}"[:500])
            except Exception as error:  # noqa: BLE001 (this message failed unexpectedly; the others still go)
                log.exception("e-mail to %s failed", address)
                yield crashed(error)
            else:
                yield SENT
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            pass
