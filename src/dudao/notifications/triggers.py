"""What the rest of Dudao tells the notifications: one function per event that reaches people outside the
page they are on. Each is called inside the transaction of its cause (the transactional outbox)."""


def round_published(round_) -> None:
    """A weekly round was published: its villages' and townships' staff and their group robots hear of it."""


def interview_scheduled(interview) -> None:
    """An interview (约谈) was scheduled: the unit's staff and the office hear of it."""
