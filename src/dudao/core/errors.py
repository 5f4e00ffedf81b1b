"""The one exception for refused input or a refused state change, raised by every service: a stable code for
programs and tests, and a message already translated into the caller's language for people. (Rights are
Django's PermissionDenied; a file's problems, row by row, are core.tables.TableRefused.)"""


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
