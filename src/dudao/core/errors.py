"""The one exception for refused input or a refused state change: a stable code for programs and tests, and a
message already translated into the caller's language for people."""


class Refused(Exception):
    def __init__(self, code: str, message: str, **params) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message
