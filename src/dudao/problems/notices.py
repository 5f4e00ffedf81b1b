"""What the problem loop tells people, and when: a problem dispatched to its village (and its township), returned
for rework, rectified and awaiting verification, overdue. Each message goes through the notifications' outbox in
the transaction of the transition; the group robots of the problem's village and township hear it too."""

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.notifications import kinds
from dudao.notifications.services import notify, unit_staff

DISPATCHED = "problem_dispatched"
OVERDUE = "problem_overdue"
RETURNED = "problem_returned"
RECTIFIED = "problem_rectified"


def _dispatched(p: kinds.Params) -> tuple[str, str]:
    return (_("Problem %(number)s to rectify by %(deadline)s") % p,
            _("%(category)s at %(village)s: %(description)s") % p)


def _overdue(p: kinds.Params) -> tuple[str, str]:
    return (_("Problem %(number)s is overdue (deadline %(deadline)s)") % p,
            _("%(category)s at %(village)s: %(description)s") % p)


def _returned(p: kinds.Params) -> tuple[str, str]:
    return _("Problem %(number)s was returned for rework") % p, p.get("note", "")


def _rectified(p: kinds.Params) -> tuple[str, str]:
    return (_("Problem %(number)s was rectified and awaits verification") % p,
            _("%(category)s at %(village)s: %(description)s") % p)


kinds.register(
    kinds.Kind(DISPATCHED, gettext_lazy("problem dispatched"), _dispatched, position=10),
    kinds.Kind(OVERDUE, gettext_lazy("problem overdue"), _overdue, position=11),
    kinds.Kind(RETURNED, gettext_lazy("problem returned for rework"), _returned, position=12),
    kinds.Kind(RECTIFIED, gettext_lazy("problem rectified"), _rectified, position=13),
)


def _params(problem) -> dict:
    deadline = timezone.localtime(problem.deadline) if problem.deadline else None
    return {"number": problem.number, "category": problem.category.name, "village": problem.village.name,
            "description": problem.description[:200],
            "deadline": date_format(deadline, "Y-m-d H:i") if deadline else ""}


def tell(problem, kind: str, note: str = "") -> None:
    """Tell whom the transition concerns: a dispatched or overdue problem its village and township, a returned one
    its village, a rectified one its township (who verify); the robots of the village and the township."""
    recipients = {
        DISPATCHED: (problem.village, problem.town), OVERDUE: (problem.village, problem.town),
        RETURNED: (problem.village,), RECTIFIED: (problem.town,),
    }[kind]
    params = _params(problem) | ({"note": note} if kind == RETURNED else {})
    notify(recipients=unit_staff(*recipients), kind=kind, params=params,
           link=reverse("problem_detail", args=[problem.pk]), units=[problem.village, problem.town])
