"""Sign-in and sign-out, and account management for the county administrator (writes go through
accounts.services)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dudao.accounts import access, services
from dudao.accounts.models import Role, User
from dudao.accounts.services import LockedOut, sign_in
from dudao.core.errors import Refused
from dudao.org.models import Person, Unit
from dudao.org.peoplefile import normalise_phone


class UserForm(forms.Form):
    username = forms.RegexField(label=gettext_lazy("Username"), max_length=150, regex=r"^[\w.@+-]+$")
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=150, required=False)
    role = forms.ChoiceField(label=gettext_lazy("role"), choices=Role.choices)
    unit = forms.CharField(label=gettext_lazy("area (code of the township or village)"), max_length=12,
                           required=False)
    phone = forms.CharField(label=gettext_lazy("phone of the person (inspectors)"), max_length=20, required=False)
    password = forms.CharField(label=gettext_lazy("new password (leave empty to keep)"), required=False,
                               widget=forms.PasswordInput(render_value=False), strip=False)
    is_active = forms.BooleanField(label=gettext_lazy("active"), required=False, initial=True)


@login_required
def user_list(request):
    if not access.can_manage_users(request.user):
        raise PermissionDenied
    users = User.objects.select_related("scope_unit", "person").order_by("role", "username")
    return render(request, "accounts/user_list.html", {"users": users})


@login_required
def user_edit(request, username: str | None = None):
    if not access.can_manage_users(request.user):
        raise PermissionDenied
    user = get_object_or_404(User, username=username) if username else None
    initial = {"username": user.username, "display_name": user.first_name, "role": user.role,
               "unit": user.scope_unit.code if user.scope_unit else "",
               "phone": user.person.phone if user.person else "", "is_active": user.is_active} if user else \
        {"is_active": True}
    form = UserForm(request.POST or None, initial=initial)
    if user is not None:
        form.fields["username"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = Unit.objects.filter(code=data["unit"]).first() if data["unit"] else None
        person = Person.objects.filter(phone=normalise_phone(data["phone"]) or "").first() if data["phone"] else None
        if data["unit"] and unit is None:
            form.add_error("unit", _("There is no unit %(code)s.") % {"code": data["unit"]})
        elif data["phone"] and person is None:
            form.add_error("phone", _("There is no person with phone %(phone)s.") % {"phone": data["phone"]})
        else:
            try:
                saved = services.user_save(
                    actor=request.user, username=user.username if user else data["username"], role=data["role"],
                    scope_unit=unit, person=person, password=data["password"] or None,
                    display_name=data["display_name"], is_active=data["is_active"],
                )
            except Refused as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Saved."))
                return redirect("user_edit", username=saved.username)
    title = _("Edit %(name)s") % {"name": user.username} if user else _("New user")
    return render(request, "org/form.html", {"form": form, "title": title})


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
        except LockedOut as exc:
            user = None
            error = exc.message
        else:
            if user is None:
                error = _("The username or password is wrong.")
        if user is not None:
            login(request, user)
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = "home"
            response = redirect(target)
            response.set_cookie(services.KNOWN_DEVICE_COOKIE, services.known_device_cookie(request, user),
                                max_age=services.KNOWN_DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                                secure=settings.SESSION_COOKIE_SECURE)
            return response
    return render(request, "accounts/login.html", {"form": form, "error": error}, status=401 if error else 200)


@login_required
def account(request):
    """The signed-in user's own page: the devices (field apps) that hold a token of theirs, each revocable."""
    devices = services.devices_visible_to(request.user).filter(user=request.user)
    return render(request, "accounts/devices.html", {
        "owner": request.user, "devices": devices.filter(revoked_at__isnull=True),
        "title": _("My account"), "back": request.get_full_path()})


@login_required
def user_devices(request, username: str):
    """One user's devices, for the office and the administrators, who may revoke them."""
    if not access.is_office(request.user):
        raise PermissionDenied
    owner = get_object_or_404(User, username=username)
    devices = services.devices_visible_to(request.user).filter(user=owner, revoked_at__isnull=True)
    return render(request, "accounts/devices.html", {
        "owner": owner, "devices": devices, "title": _("Devices of %(name)s") % {"name": owner.username},
        "back": request.get_full_path()})


@login_required
@require_POST
def device_revoke(request, pk: int):
    record = services.device_revoke(actor=request.user, device_id=pk)
    messages.success(request, _("The device %(name)s was revoked: it must sign in again.")
                     % {"name": record.device_name})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "account"
    return redirect(target)


@require_POST
def sign_out_view(request):
    if request.user.is_authenticated:
        services.devices_signed_out(actor=request.user, device_ids=request.session.get(services.SESSION_DEVICES, []))
    logout(request)
    return redirect("login")
