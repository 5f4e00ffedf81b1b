from dudao.accounts import access
from dudao.notifications.services import unread_count


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "can_manage_units": access.can_manage_units(user),
        "can_manage_people": access.can_manage_people(user),
        "can_manage_groups": access.can_manage_groups(user),
        "can_manage_users": access.can_manage_users(user),
        "can_report_problems": access.effective_role(user) in access.FIELD_ROLES,
        "can_inspect": access.effective_role(user) in access.INSPECTING_ROLES,
        "can_see_checklists": access.can_see_checklists(user),
        "can_see_interviews": access.can_see_interviews(user),
        "unread_notifications": unread_count(user),
    }
