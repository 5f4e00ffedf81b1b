from dudao.accounts import access
from dudao.accounts.models import Role
from dudao.grids.access import can_open_grid_accounts
from dudao.inspections.access import can_see_checklists
from dudao.interviews.access import can_see_interviews
from dudao.notifications.services import BADGE_MAX, unread_recent_count
from dudao.org.access import can_manage_people
from dudao.plan.access import can_see_plan
from dudao.recheck.access import can_see_recheck


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "can_manage_units": access.is_office(user),
        "can_manage_people": can_manage_people(user),
        "can_manage_groups": access.is_office(user),
        "can_manage_users": access.can_manage_users(user),
        "can_report_problems": access.effective_role(user) in access.FIELD_ROLES,
        "can_inspect": access.effective_role(user) in access.INSPECTING_ROLES,
        "can_see_checklists": can_see_checklists(user),
        "can_see_interviews": can_see_interviews(user),
        "can_see_plan": can_see_plan(user),
        "can_see_recheck": can_see_recheck(user),
        "unread_notifications": unread_recent_count(user),
        "unread_badge_max": BADGE_MAX,
        "is_grid_user": access.effective_role(user) == Role.GRID,
        "can_open_grid_accounts": can_open_grid_accounts(user),
    }
