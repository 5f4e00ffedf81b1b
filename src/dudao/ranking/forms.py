from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.utils.translation import gettext_lazy as _

from dudao.ranking.models import RankingSettings, SourceName
from dudao.ranking.services import SETTING_FIELDS


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))


class SourceUploadForm(UploadForm):
    """The office's upload of a whole independent source; the township source comes from each township."""

    source = forms.ChoiceField(label=_("source"), choices=[(SourceName.INSPECTION.value, SourceName.INSPECTION.label),
                                                           (SourceName.DRONE.value, SourceName.DRONE.label)])



class SettingsForm(forms.ModelForm):
    """A new version of the campaign's ranking settings (the service writes it; rounds keep their version)."""

    class Meta:
        model = RankingSettings
        fields = list(SETTING_FIELDS)
        widgets = {
            "green_colour": forms.TextInput(attrs={"type": "color"}),
            "yellow_colour": forms.TextInput(attrs={"type": "color"}),
            "red_colour": forms.TextInput(attrs={"type": "color"}),
            "deadline_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("green_colour", "yellow_colour", "red_colour"):
            self.fields[name].validators.append(RegexValidator(r"^#[0-9a-fA-F]{6}$"))
        for name in ("weight_town", "weight_inspection", "weight_drone"):
            self.fields[name].min_value = 0
            self.fields[name].validators.append(MinValueValidator(0))
        self.fields["deadline_weekday"].validators += [MinValueValidator(1), MaxValueValidator(7)]
        threshold = self.fields["agreement_threshold"]
        threshold.min_value, threshold.max_value = -1, 1
        threshold.validators += [MinValueValidator(-1), MaxValueValidator(1)]
