import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dudao.org.models import Datum, GroupKind, Level, MemberRole, PostRole, Unit


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))


class UnitForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    official_name = forms.CharField(label=_("official name"), max_length=200, required=False)
    active = forms.BooleanField(label=_("active"), required=False)
    lon = forms.FloatField(label=_("longitude"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=_("latitude"), required=False, min_value=-90, max_value=90)
    point_datum = forms.ChoiceField(label=_("datum"), choices=[("", "—"), *Datum.choices], required=False)
    description = forms.CharField(label=_("area description"), max_length=500, required=False)

    def clean(self):
        data = super().clean()
        given = [data.get("lon") is not None, data.get("lat") is not None, bool(data.get("point_datum"))]
        if any(given) and not all(given):
            raise forms.ValidationError(_("A point needs a longitude, a latitude and a datum."))
        return data


class PersonForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)
    phone = forms.CharField(label=_("phone"), max_length=20)


class NewPersonForm(PersonForm):
    """A new person with their first post (required for township staff, optional for the office)."""

    unit = forms.CharField(label=_("unit code of the first post"), max_length=12, required=False)
    role = forms.ChoiceField(label=_("post"), choices=[("", "—"), *PostRole.choices], required=False)
    title = forms.CharField(label=_("title"), max_length=50, required=False)
    start_date = forms.DateField(label=_("start date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        given = [bool(data.get("unit")), bool(data.get("role")), data.get("start_date") is not None]
        if any(given) and not all(given):
            raise forms.ValidationError(_("A post needs a unit code, the post and its start date."))
        return data


class PostForm(forms.Form):
    unit = forms.CharField(label=_("unit code"), max_length=12)
    role = forms.ChoiceField(label=_("post"), choices=PostRole.choices)
    title = forms.CharField(label=_("title"), max_length=50, required=False)
    start_date = forms.DateField(label=_("start date"), initial=dt.date.today,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("end date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class PostEndForm(forms.Form):
    end_date = forms.DateField(label=_("end date"), initial=dt.date.today,
                               widget=forms.DateInput(attrs={"type": "date"}))


class GroupForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=GroupKind.choices)
    name = forms.CharField(label=_("name"), max_length=100)
    duties = forms.CharField(label=_("duties"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    towns = forms.ModelMultipleChoiceField(label=_("assigned townships"), required=False,
                                           queryset=Unit.objects.filter(level=Level.TOWN),
                                           widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)


class MemberForm(forms.Form):
    phone = forms.CharField(label=_("phone of the person"), max_length=20)
    role = forms.ChoiceField(label=_("role in group"), choices=MemberRole.choices)
