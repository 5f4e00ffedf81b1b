from django import forms
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dudao.accounts import access
from dudao.accounts.services import LockedOut, sign_in
from dudao.problems.selectors import overdue_q, tasks_q


class SignInForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput)


def sign_in_view(request):
    form = SignInForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = sign_in(request=request, username=form.cleaned_data["username"],
                           password=form.cleaned_data["password"])
        except LockedOut:
            user = None
            error = _("Too many failed sign-ins. The account is locked for a while; try again later or ask "
                      "the administrator.")
        else:
            if user is None:
                error = _("The username or password is wrong.")
        if user is not None:
            login(request, user)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = "home"
            return redirect(target)
    return render(request, "core/login.html", {"form": form, "error": error}, status=401 if error else 200)


@require_POST
def sign_out_view(request):
    logout(request)
    return redirect("login")


@login_required
def home(request):
    user = request.user
    units = access.units_visible_to(user)
    counts = dict(units.values_list("level").annotate(n=Count("id")).order_by())
    problems_visible = access.problems_visible_to(user)
    context = {
        "role": access.effective_role(user),
        "area": access.user_area_label(user),
        "counts": counts,
        "people_count": access.people_visible_to(user).count(),
        "groups": access.groups_visible_to(user).prefetch_related("towns")[:20],
        "roots": access.area_roots(user),
        "tasks": problems_visible.filter(tasks_q(user)).count(),
        "overdue": problems_visible.filter(overdue_q()).count(),
    }
    return render(request, "core/home.html", context)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def forbidden(request, exception=None):
    return render(request, "core/error.html", {"message": _("You may not see or change this.")}, status=403)


def not_found(request, exception=None):
    return render(request, "core/error.html", {"message": _("Not found, or outside your area.")}, status=404)
