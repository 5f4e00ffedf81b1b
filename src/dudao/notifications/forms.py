from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from dudao.accounts.models import Role
from dudao.core.errors import Refused
from dudao.notifications import kinds
from dudao.notifications.channels import redacted_url
from dudao.notifications.models import RobotKind, Status
from dudao.notifications.services import robot_host_refusal
from dudao.org.models import Level, Unit

UNIT_LEVELS = [Level.COUNTY, Level.TOWN, Level.VILLAGE, Level.COMMUNITY]
URL_HELP = _("WeCom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…; DingTalk: "
             "https://oapi.dingtalk.com/robot/send?access_token=…; an intranet proxy's address works too.")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{'  ' * max(0, obj.depth - 1)}{obj.name} ({obj.code})"


def _units():
    return Unit.objects.filter(level__in=UNIT_LEVELS, active=True).order_by("path")


def _event_choices():
    return kinds.robot_choices()


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=RobotKind.choices)
    unit = UnitChoiceField(label=_("unit"), queryset=Unit.objects.none())
    name = forms.CharField(label=_("name"), max_length=100)
    url = forms.CharField(label=_("webhook address"), max_length=500, help_text=URL_HELP,
                          widget=forms.URLInput(attrs={"placeholder": "https://"}))
    secret = forms.CharField(label=_("signing secret (DingTalk)"), max_length=200, required=False,
                             widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}))
    clear_secret = forms.BooleanField(label=_("remove the stored secret"), required=False)
    events = forms.MultipleChoiceField(label=_("events"), choices=_event_choices,
                                       widget=forms.CheckboxSelectMultiple, required=False)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, has_secret: bool = False, stored_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()  # type: ignore[attr-defined]
        if has_secret:
            self.fields["secret"].help_text = _("A secret is stored; leave this empty to keep it.")
        else:
            self.fields.pop("clear_secret")
        # The stored address is shown without its key or token (a credential); left as shown, or emptied, it is
        # kept as it is stored.
        self.stored_url = stored_url
        if stored_url:
            self.fields["url"].required = False
            self.fields["url"].help_text = _("The key or token of the stored address is not shown; leave the "
                                             "address as it is to keep it, or enter the whole new address.")

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        if self.stored_url and url in ("", redacted_url(self.stored_url)):
            return self.stored_url
        if "=…" in url:  # the redacted address, partly edited: its key was never typed in
            raise ValidationError(_("Type the robot's whole webhook address, its key included, or leave the address "
                                    "as shown to keep it."))
        try:
            URLValidator(schemes=["http", "https"])(url)
            robot_host_refusal(url)
        except ValidationError:
            raise ValidationError(_("Enter the robot's webhook address, starting with https:// or http://.")) from None
        except Refused as refused:
            raise ValidationError(refused.message) from None
        return url


class RuleForm(forms.Form):
    event = forms.ChoiceField(label=_("event"), choices=_event_choices)
    unit = UnitChoiceField(label=_("unit (and the units below it)"), queryset=Unit.objects.none(), required=False,
                           empty_label=_("everywhere"))
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
    in_app = forms.BooleanField(label=_("in the app"), required=False, initial=True)
    email = forms.BooleanField(label=_("e-mail"), required=False, initial=True)
    sms = forms.BooleanField(label=_("SMS"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units()  # type: ignore[attr-defined]


class OutboxFilter(forms.Form):
    status = forms.ChoiceField(label=_("status"), required=False,
                               choices=[("", _("all"))] + list(Status.choices))
