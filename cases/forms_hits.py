"""Forms of the cases app: manual entry of a hit, an analyst's decision, the hit file upload."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from rsoits.models import Installation

from .choices_hits import HitSource, ReviewDecision
from .models import Hit

__all__ = ["HitDecisionForm", "HitForm", "HitImportForm"]

HIT_FORM_FIELDS = [
    "event_type", "source", "source_id", "occurred_at", "port_code", "consular_post", "installation", "given_name",
    "middle_name", "surname", "date_of_birth", "sex", "nationality", "passport_number", "passport_country",
    "visa_number", "alien_number", "flight", "origin_country", "destination_country",
]  # fmt: skip


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        return value.strftime("%Y-%m-%dT%H:%M") if hasattr(value, "strftime") else value


class HitForm(forms.Form):
    """Manual entry by an NSOTC analyst of a hit reported outside the interfaces (a phone call
    from a port, a faxed CLASS response). The fields are the model's, with their validators; the
    rules across fields and a resend of the same source record are the service's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["installation"].queryset = Installation.objects.filter(active=True)
        self.fields["source"].initial = HitSource.MANUAL
        # The model's own validators (countries, documents, port codes, dates not in the future)
        # report on the field at once; Django's (lengths) the form field has already.
        for name, field in self.fields.items():
            model_validators = Hit._meta.get_field(name).validators
            field.validators += [v for v in model_validators if not getattr(v, "__module__", "").startswith("django.")]

    def clean(self):
        """The model's rules across fields (a future date of birth or event, a passport without its
        country, what an IMESA match must give) reported with the fields' own errors, in one
        round; the service checks them again when it stores the hit."""
        cleaned = super().clean()
        draft = Hit(**{name: value for name, value in cleaned.items() if value is not None})
        try:
            draft.clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name in self.fields and name not in self.errors:
                    for message in messages:
                        self.add_error(name, message)
        return cleaned


HitForm.base_fields = forms.fields_for_model(
    Hit,
    fields=HIT_FORM_FIELDS,
    widgets={"occurred_at": DateTimeInput(), "date_of_birth": DateInput()},
    help_texts={"occurred_at": "UTC.", "source_id": "The reporting system's own record number."},
)


class HitDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.analyst_decisions(), widget=forms.RadioSelect)
    candidate = forms.ChoiceField(
        required=False, help_text="The registrant confirmed, or the one that is a false match (empty: all)."
    )
    duplicate_of = forms.IntegerField(required=False, min_value=1, label="Duplicate of hit number")
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for a duplicate hit or a request for more information.",
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(c.pk): c for c in candidates if not c.false_match}
        self.fields["candidate"].choices = [("", "—")] + [
            (pk, f"#{c.rank} {c.registrant} ({c.registrant.registering_agency.code} {c.registrant.external_id}), "
                 f"score {c.score_text}")
            for pk, c in self.candidates.items()
        ]  # fmt: skip

    def clean_candidate(self):
        value = self.cleaned_data.get("candidate")
        return self.candidates.get(value) if value else None


class HitImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX with a header row.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 50 MB.")
        return upload
