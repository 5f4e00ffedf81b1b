"""The one kind of message notifications sends of its own: the office's test of a group robot."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dudao.notifications import kinds

TEST = "test"


def _test(p: kinds.Params) -> tuple[str, str]:
    return _("Test message from Dudao") % p, _("The group robot %(name)s of %(unit)s works.") % p


kinds.register(kinds.Kind(TEST, gettext_lazy("test message"), _test, position=90, robots=False))
