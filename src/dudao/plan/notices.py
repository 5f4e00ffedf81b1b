"""What the plan tells people: a township's task passed its deadline undone, told to whoever holds its owner post
(the township's staff when no account is linked to that person)."""

import datetime as dt

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.accounts.models import User
from dudao.notifications import kinds
from dudao.notifications.services import notify, unit_staff
from dudao.org.models import Post

TASK_OVERDUE = "plan_task_overdue"


def _overdue(p: kinds.Params) -> tuple[str, str]:
    return (_("Task overdue: %(task)s (deadline %(deadline)s)") % p,
            _("%(town)s, action %(no)s: %(progress)s") % p)


kinds.register(kinds.Kind(TASK_OVERDUE, gettext_lazy("battle-map task overdue"), _overdue, position=40))


def owners(task, today: dt.date) -> list[User]:
    """The active accounts of the people holding the task's owner post today, else the township's staff."""
    holders = Post.objects.filter(unit=task.town, role=task.owner_role).held_between(today).values("person")
    users = list(User.objects.filter(is_active=True, person__in=holders).order_by("pk"))
    return users or unit_staff(task.town)


def tell_overdue(task, today: dt.date, progress: str) -> None:
    params = {"task": str(task), "deadline": task.deadline.isoformat(), "town": task.town.name,
              "no": task.action.no, "progress": progress}
    notify(recipients=owners(task, today), kind=TASK_OVERDUE, params=params,
           link=reverse("plan_task", args=[task.pk]), key=f"{TASK_OVERDUE}:{task.pk}", units=[task.town])
