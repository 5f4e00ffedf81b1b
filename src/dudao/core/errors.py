"""The one exception for refused input or a refused state change, raised by every service: a stable code for
programs and tests, and a message already translated into the caller's language for people. (Rights are
Django's PermissionDenied; a file's problems, row by row, are core.tables.TableRefused.)"""

from django.utils.translation import gettext as _


class Refused(Exception):
    def __init__(self, code: str, message: str, **params) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message

    @property
    def messages(self) -> list[str]:
        """Each thing refused, when one refusal names several (``errors``), else the message."""
        return list(self.params.get("errors") or [self.message])


def cleaned_text(value: str, *, code: str, maximum: int, empty: str = "", too_long: str = "") -> str:
    """A form's free text as stored: Windows line ends made plain, trimmed. Refused ``{code}_required`` with the
    message ``empty`` when it is empty (empty text is allowed without one), ``{code}_too_long`` past ``maximum``
    characters (``too_long``: the message, with %(length)s and %(max)s)."""
    value = value.replace("\r\n", "\n").strip()
    if empty and not value:
        raise Refused(f"{code}_required", empty)
    if len(value) > maximum:
        raise Refused(f"{code}_too_long", (too_long or _("%(length)s characters; at most %(max)s are accepted."))
                      % {"length": len(value), "max": maximum})
    return value
