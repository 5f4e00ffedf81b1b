"""The wording of the actions file's problems (dudao.plan.actionfile), added to core.messages when the app loads."""

from django.utils.translation import gettext_lazy

PLAN_MESSAGES = {
    "bad_action_no": gettext_lazy("The number “%(value)s” is not a whole number of 1 or more."),
    "duplicate_action_no": gettext_lazy("The number %(no)s appears again (first in row %(first)s)."),
    "unknown_department": gettext_lazy(
        "The department “%(name)s” is unknown; add it first or import with --create-departments."),
    "bad_target_value": gettext_lazy("The target value “%(value)s” is not a number (at most two decimals, not "
                                     "negative)."),
    "target_unit_required": gettext_lazy("The target value %(value)s has no unit of measure (计量单位)."),
    "deadline_before_start": gettext_lazy("The deadline %(deadline)s is before the start %(start)s."),
    "unknown_town": gettext_lazy("The township “%(name)s” is not a township of the campaign."),
    "bad_milestone": gettext_lazy("The time node “%(value)s” is not a date (YYYY-MM-DD) followed by what is due."),
    "milestone_outside": gettext_lazy("The time node “%(value)s” lies outside the action's start and deadline."),
}

PLAN_COLUMNS = {
    "no": gettext_lazy("number"),
    "lead": gettext_lazy("lead department"),
    "support": gettext_lazy("supporting departments"),
    "target": gettext_lazy("target"),
    "target_value": gettext_lazy("target value"),
    "target_unit": gettext_lazy("unit of measure"),
    "start": gettext_lazy("start"),
    "deadline": gettext_lazy("deadline"),
    "towns": gettext_lazy("townships"),
    "milestones": gettext_lazy("time nodes"),
}
