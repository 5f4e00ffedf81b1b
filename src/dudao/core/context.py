from dudao.accounts import access


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "can_manage_units": access.can_manage_units(user),
        "can_manage_people": access.can_manage_people(user),
        "can_manage_groups": access.can_manage_groups(user),
        "can_manage_users": access.can_manage_users(user),
    }
