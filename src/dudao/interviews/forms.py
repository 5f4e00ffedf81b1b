from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from dudao.interviews.models import OutcomeKind

DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(label=_("When"), widget=DATETIME_LOCAL,
                                        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("Where"), max_length=200)
    interviewer = forms.CharField(label=_("Interviewer (who conducts it)"), max_length=100,
                                  widget=forms.TextInput(attrs={"placeholder": _("e.g. the county deputy secretary")}))
    note = forms.CharField(label=_("Why it moves (optional)"), max_length=500, required=False)


class ScheduleManyForm(forms.Form):
    """The same time, place and interviewer for every pending interview of a township's week."""

    week = forms.RegexField(label=_("Week"), regex=r"^\d{4}-W\d{2}$", max_length=8)
    town = forms.ChoiceField(label=_("Township"), choices=[])
    scheduled_for = forms.DateTimeField(label=_("When"), widget=DATETIME_LOCAL,
                                        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("Where"), max_length=200)
    interviewer = forms.CharField(label=_("Interviewer (who conducts it)"), max_length=100)

    def __init__(self, *args, towns=(), weeks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].choices = [(t.code, t.name) for t in towns]
        self.fields["week"].widget = forms.Select(choices=[(w, w) for w in weeks])


class HoldForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=DATE, input_formats=["%Y-%m-%d"])
    interviewer = forms.CharField(label=_("Interviewer (who conducted it)"), max_length=100)
    minutes = forms.CharField(label=_("Minutes"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4}))


class CommitmentForm(forms.Form):
    text = forms.CharField(label=_("Commitment"), max_length=2000, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("what will be done")}))
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DATE, input_formats=["%Y-%m-%d"])


CommitmentFormSet = formset_factory(CommitmentForm, extra=3, max_num=20, validate_max=True)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(forms.Form):
    """The outcome of a held interview (问责追究); ``revises`` names the record a revision corrects."""

    kind = forms.ChoiceField(label=_("Outcome"), widget=forms.RadioSelect, choices=OutcomeKind.choices)
    reference = forms.CharField(label=_("Decision reference (文号)"), max_length=100, required=False,
                                widget=forms.TextInput(attrs={"placeholder": _("e.g. 景纪发〔2026〕12号")}))
    decided_on = forms.DateField(label=_("Decision date"), required=False, widget=DATE, input_formats=["%Y-%m-%d"])
    note = forms.CharField(label=_("Note (optional)"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label=_("Why it is revised"), max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    revises = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, revising: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not revising:
            del self.fields["reason"]
