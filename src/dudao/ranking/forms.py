from django import forms
from django.utils.translation import gettext_lazy as _

from dudao.ranking.models import SourceName


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))


class SourceUploadForm(UploadForm):
    """The office's upload of a whole independent source; the township source comes from each township."""

    source = forms.ChoiceField(label=_("source"), choices=[(SourceName.INSPECTION.value, SourceName.INSPECTION.label),
                                                           (SourceName.DRONE.value, SourceName.DRONE.label)])

