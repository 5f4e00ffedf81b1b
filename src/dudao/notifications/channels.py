"""Senders: SMTP e-mail, WeCom and DingTalk group robots, and a pluggable SMS interface.

Every sender returns an Outcome and never raises for a fault of the other side. An outcome that failed is
either retryable (connection refused, timeout, HTTP 5xx or 429, a robot's rate limit, SMTP 4xx) or permanent
(HTTP 4xx, an invalid address, SMTP 5xx): dudao.notifications.outbox backs off on the first and gives up at
once on the second.
"""

import abc
import base64
import hashlib
import hmac
import http.client
import json
import logging
import smtplib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

TIMEOUT = 5  # seconds, for webhooks (e-mail uses EMAIL_TIMEOUT)
RESPONSE_SNIPPET = 500
# Answers of the robots that say "not now" (rate limit, busy): worth trying again later.
WECOM_RETRY_ERRCODES = {-1, 45009}
DINGTALK_RETRY_ERRCODES = {-1, 130101}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool = False
    error: str = ""
    http_status: int | None = None
    errcode: int | None = None
    response: str = ""


SENT = Outcome(ok=True)


def _snippet(raw: bytes | str) -> str:
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text[:RESPONSE_SNIPPET]


# Webhooks ----------------------------------------------------------------------------------------------------


def post_json(url: str, payload: dict, timeout: float = TIMEOUT) -> tuple[Outcome | None, int, str]:
    """POST the payload; (a failed outcome, or None with the HTTP status and body when the server answered 2xx)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Outcome(ok=False, error=f"invalid webhook address: {url[:200]}"), 0, ""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST",  # noqa: S310 (http/https checked above)
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return None, response.status, _snippet(response.read(64 * 1024))
    except urllib.error.HTTPError as error:
        body = _snippet(error.read(64 * 1024) if error.fp else b"")
        retryable = error.code >= 500 or error.code in (408, 429)
        return Outcome(ok=False, retryable=retryable, error=f"HTTP {error.code} {error.reason}",
                       http_status=error.code, response=body), error.code, body
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, ConnectionRefusedError):
            text = f"connection refused ({parts.hostname}:{parts.port or ''})".replace(":)", ")")
        elif isinstance(reason, TimeoutError):
            text = f"no answer within {timeout:g} s"
        elif isinstance(reason, socket.gaierror):
            text = f"host name not found: {parts.hostname}"
        else:
            text = f"cannot connect: {reason}"
        return Outcome(ok=False, retryable=True, error=text), 0, ""
    except TimeoutError:
        return Outcome(ok=False, retryable=True, error=f"no answer within {timeout:g} s"), 0, ""
    except (http.client.InvalidURL, ValueError) as error:
        return Outcome(ok=False, error=f"invalid webhook address: {error}"), 0, ""
    except (http.client.HTTPException, OSError) as error:
        return Outcome(ok=False, retryable=True, error=f"connection failed: {error!r}"), 0, ""


def _robot_answer(name: str, status: int, body: str, retry_codes: set[int]) -> Outcome:
    """A robot's 2xx answer: success iff the JSON says errcode 0."""
    try:
        answer = json.loads(body)
        errcode = int(answer["errcode"])
    except (ValueError, KeyError, TypeError):
        return Outcome(ok=False, retryable=True, error=f"{name} answered HTTP {status} without an errcode",
                       http_status=status, response=body)
    if errcode == 0:
        return Outcome(ok=True, http_status=status, errcode=0, response=body)
    message = str(answer.get("errmsg", ""))[:300]
    return Outcome(ok=False, retryable=errcode in retry_codes, error=f"{name} errcode {errcode}: {message}",
                   http_status=status, errcode=errcode, response=body)


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
        return Outcome(ok=False, error=f"SMS backend {settings.SMS_BACKEND!r} cannot be loaded: {error}")
    try:
        backend.send(phone, text)
    except SmsError as error:
        return Outcome(ok=False, retryable=error.retryable, error=str(error)[:500])
    return SENT


# E-mail --------------------------------------------------------------------------------------------------------


def _smtp_refusal(code: int, message: bytes | str, recipient: str = "") -> Outcome:
    text = message.decode("utf-8", errors="replace") if isinstance(message, bytes) else str(message)
    to = f" ({recipient})" if recipient else ""
    return Outcome(ok=False, retryable=400 <= code < 500, error=f"SMTP {code} {text}{to}"[:500])


def send_emails(messages: Sequence[tuple[str, str, str]]) -> Iterator[Outcome]:
    """Send (address, subject, body) messages over one SMTP connection, yielding one outcome per message as it
    is sent. A server that cannot be reached or drops the connection fails the rest of the batch at once
    (retryable): it costs one timeout (EMAIL_TIMEOUT) per batch, not one per message."""
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        log.warning("SMTP server unreachable: %s", error)
        failed = Outcome(ok=False, retryable=True, error=f"SMTP server unreachable: {error}"[:500])
        for _message in messages:
            yield failed
        return
    try:
        for position, (address, subject, body) in enumerate(messages):
            message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [address], connection=connection)
            try:
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
                gone = Outcome(ok=False, retryable=True, error=f"SMTP connection lost: {error or 'disconnected'}")
                for _rest in messages[position:]:
                    yield gone
                return
            except smtplib.SMTPException as error:
                yield Outcome(ok=False, retryable=True, error=f"SMTP error: {error}"[:500])
            else:
                yield SENT
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            pass
