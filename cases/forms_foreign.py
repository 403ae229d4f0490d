"""Forms of USNCB's screens and of passport actions. They parse input only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from registrants.models import Registrant

from .choices_foreign import (
    ComplaintStatus,
    NoNoticeReason,
    PassportActionKind,
    PassportActionStatus,
    PassportLegalBasis,
)
from .models import InboundForeignNotice

DATE = forms.DateInput(attrs={"type": "date"})


class ReviewForm(forms.Form):
    conviction_summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    remarks = forms.CharField(
        label="Remarks to the destination country", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class AcknowledgeForm(forms.Form):
    acknowledged_on = forms.DateField(label="Date of the acknowledgement", widget=DATE)
    text = forms.CharField(label="Country's response", widget=forms.Textarea(attrs={"rows": 3}), required=False)


class CorrectForm(forms.Form):
    reason = forms.CharField(label="What the correction puts right", widget=forms.Textarea(attrs={"rows": 2}))
    conviction_summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    remarks = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class NoNoticeForm(forms.Form):
    country = forms.ChoiceField(label="Destination country")
    reason = forms.ChoiceField(choices=NoNoticeReason.choices)
    detail = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, countries: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [(c, c) for c in countries]


class ComplaintForm(forms.Form):
    complainant = forms.CharField(max_length=200)
    received_on = forms.DateField(widget=DATE)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class ComplaintTransitionForm(forms.Form):
    to_status = forms.ChoiceField(label="New status", choices=ComplaintStatus.choices)
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class InboundNoticeForm(forms.ModelForm):
    aliases_text = forms.CharField(
        label="Other names (one per line)", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    class Meta:
        model = InboundForeignNotice
        fields = [
            "country", "ncb", "foreign_reference", "received_on", "given_name", "middle_name", "surname",
            "date_of_birth", "sex", "nationality", "passport_number", "passport_country", "arrival_date",
            "departure_date", "port_of_entry", "flight", "destination_address", "conviction_summary",
        ]  # fmt: skip
        widgets = {"received_on": DATE, "date_of_birth": DATE, "arrival_date": DATE, "departure_date": DATE}

    def service_fields(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "aliases_text"}
        data["aliases"] = [
            line.strip() for line in self.cleaned_data.get("aliases_text", "").splitlines() if line.strip()
        ]
        return data


class PassportActionForm(forms.Form):
    registrant = forms.ModelChoiceField(queryset=Registrant.objects.none())
    requesting_agency = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(label="Request", choices=PassportActionKind.choices)
    legal_basis = forms.ChoiceField(choices=[("", "—"), *PassportLegalBasis.choices], required=False)
    basis_reference = forms.CharField(label="Court, case or warrant number", max_length=200, required=False)
    justification = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    document = forms.FileField(label="Supporting document", required=False)

    def __init__(self, *args: Any, registrants: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registrant"].queryset = registrants
        self.fields["requesting_agency"].queryset = agencies


class PassportTransitionForm(forms.Form):
    to_status = forms.ChoiceField(label="New status", choices=PassportActionStatus.choices)
    state_reference = forms.CharField(label="State CA/PPT reference", max_length=64, required=False)
    note = forms.CharField(label="State's answer or reason", widget=forms.Textarea(attrs={"rows": 2}), required=False)


class DocumentForm(forms.Form):
    file = forms.FileField()
    description = forms.CharField(max_length=200, required=False)
