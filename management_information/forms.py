"""Admin forms: a release, its figures typed in, and a file of figures."""

import datetime

from django import forms
from django.core import signing
from django.utils import timezone

from .models import Measure, Release
from .uploads import parse_value

UPLOAD_SALT = "management_information.upload"
# How long a checked upload may wait for "Load these figures".
UPLOAD_MAX_AGE = 60 * 60
REASON_HELP = ("The release is public: the page and the downloads will say "
               "“Revised on <date>: <your reason>” and keep the previous figures.")


class MonthField(forms.DateField):
    """A month, stored as its first day: 2026-11, 11/2026 or November 2026."""

    input_formats = ["%Y-%m", "%m/%Y", "%B %Y", "%b %Y", "%Y-%m-%d"]
    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    default_error_messages = {"invalid": "Enter a month such as 2026-11 or November 2026."}

    def to_python(self, value):
        date = super().to_python(value)
        return date.replace(day=1) if date else date


class ReleaseAdminForm(forms.ModelForm):
    period = MonthField(help_text="The month the figures are for: 2026-11 or November 2026.")

    class Meta:
        model = Release
        fields = ["period", "notes", "illustrative", "announcement", "status", "announced",
                  "announced_date", "published_at", "date_change_reason"]

    def clean(self):
        cleaned = super().clean()
        public_date = cleaned.get("announced") or cleaned.get("status") == Release.Status.PUBLISHED
        announced, at = cleaned.get("announced_date"), cleaned.get("published_at")
        if "date_change_reason" in self.fields and public_date and announced and at:
            moved_to = timezone.localdate(at)
            if moved_to != announced and not cleaned.get("date_change_reason", "").strip():
                self.add_error(
                    "date_change_reason",
                    f"Say why the release moves from its announced date "
                    f"{announced:%d/%m/%Y} to {moved_to:%d/%m/%Y}: the calendar shows it.",
                )
        return cleaned


def measure_help(measure):
    places = measure.decimal_places
    unit = Measure.Unit(measure.unit).label
    return f"{unit}, {'no' if places == 0 else places} decimal place{'' if places == 1 else 's'}."


class FiguresForm(forms.Form):
    """Every measure's figure in one release, typed in; empty means no figure."""

    def __init__(self, *args, release, measures, **kwargs):
        self.release = release
        self.measures = list(measures)
        current = dict(release.figures.values_list("measure_id", "value"))
        initial = {f"measure_{m.pk}": current.get(m.pk) for m in self.measures}
        super().__init__(*args, initial=initial, **kwargs)
        for measure in self.measures:
            self.fields[f"measure_{measure.pk}"] = forms.CharField(
                label=measure.name, required=False, help_text=measure_help(measure),
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 16}),
            )
        self.fields["reason"] = forms.CharField(
            label="Reason for the revision", required=False, max_length=500,
            help_text=REASON_HELP if release.is_public else "Only needed once it is public.",
        )

    def grouped_fields(self):
        """[(group, [bound fields])] in display order, for the template."""
        groups = {}
        for measure in self.measures:
            groups.setdefault(measure.group, []).append(self[f"measure_{measure.pk}"])
        return list(groups.items())

    def clean(self):
        cleaned = super().clean()
        values = {}
        for measure in self.measures:
            name = f"measure_{measure.pk}"
            text = (cleaned.get(name) or "").strip()
            if not text:
                values[measure] = None
                continue
            try:
                values[measure] = parse_value(measure, text)
            except ValueError as error:
                self.add_error(name, str(error))
        cleaned["values"] = values
        return cleaned


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="A header row naming the columns “measure” (a measure's code or name) and "
        "“value”, then one row per measure. Measures not in the file keep their figures.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


class ConfirmUploadForm(forms.Form):
    """The checked figures, signed so they come back as they were checked."""

    payload = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason for the revision", required=False, max_length=500,
                             help_text=REASON_HELP)

    @staticmethod
    def sign(release, rows):
        values = {row.measure.code: str(row.value) for row in rows}
        return signing.dumps({"release": release.pk, "values": values}, salt=UPLOAD_SALT,
                             compress=True)

    def clean_payload(self):
        try:
            data = signing.loads(self.cleaned_data["payload"], salt=UPLOAD_SALT,
                                 max_age=UPLOAD_MAX_AGE)
        except signing.SignatureExpired:
            raise forms.ValidationError("This check is more than an hour old: upload the "
                                        "file again.") from None
        except signing.BadSignature:
            raise forms.ValidationError("These figures were changed after they were "
                                        "checked: upload the file again.") from None
        return data

    def values_for(self, release):
        """{Measure: Decimal} from the payload, checked again against today's measures."""
        data = self.cleaned_data["payload"]
        if data.get("release") != release.pk:
            raise forms.ValidationError("These figures were checked for another release.")
        measures = Measure.objects.in_bulk(data["values"], field_name="code")
        if len(measures) != len(data["values"]):
            raise forms.ValidationError("A measure changed since the file was checked: upload "
                                        "it again.")
        try:
            return {measures[code]: parse_value(measures[code], text)
                    for code, text in data["values"].items()}
        except ValueError as error:
            raise forms.ValidationError(f"{error} Upload the file again.") from None


def default_period(today=None):
    """The month before this one: the next release's period, usually."""
    today = today or timezone.localdate()
    first = today.replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)
