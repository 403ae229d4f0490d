"""Registrant forms: the record with inline lists, and the import upload."""

from __future__ import annotations

from django import forms

from rsoits.models import Agency

from .models import Address, Identifier, Registrant, RegistrantName, Warrant

RECORD_FORM_FIELDS = [
    "external_id", "given_name", "middle_name", "surname", "suffix", "date_of_birth", "sex", "place_of_birth",
    "status", "tier", "registration_ends", "travel_prohibited", "conditions", "dod_component", "installation",
    "lives_on_installation", "works_on_installation", "subject_to_ucmj", "national_guard",
]  # fmt: skip


class DateInput(forms.DateInput):
    input_type = "date"


class RegistrantForm(forms.ModelForm):
    registering_agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Registering jurisdiction")
    citizenships = forms.CharField(
        required=False, help_text="ISO 3166 alpha-2 codes, separated by commas (e.g. US, MX)."
    )

    class Meta:
        model = Registrant
        fields = ["registering_agency", *RECORD_FORM_FIELDS]
        widgets = {"date_of_birth": DateInput(), "registration_ends": DateInput(), "conditions": forms.Textarea}

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registering_agency"].queryset = agencies if agencies is not None else Agency.objects.none()
        if self.instance.pk:
            self.fields["registering_agency"].disabled = True
            self.initial["citizenships"] = ", ".join(self.instance.citizenships)

    def clean_citizenships(self):
        codes = [c.strip().upper() for c in self.cleaned_data["citizenships"].split(",") if c.strip()]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            raise forms.ValidationError(f"{', '.join(bad)}: use ISO 3166 alpha-2 country codes.")
        return codes

    def validate_unique(self):
        pass  # the service checks (agency, external_id) and reports it on the field


class AliasForm(forms.ModelForm):
    class Meta:
        model = RegistrantName
        fields = ["given_name", "middle_name", "surname"]


class IdentifierForm(forms.ModelForm):
    class Meta:
        model = Identifier
        fields = ["kind", "value", "issuing_country", "expires"]
        widgets = {"expires": DateInput()}

    def validate_unique(self):
        pass


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["kind", "street", "city", "state", "postal_code", "country", "current", "since", "until"]
        widgets = {"since": DateInput(), "until": DateInput()}


class WarrantForm(forms.ModelForm):
    class Meta:
        model = Warrant
        fields = ["issuing_agency", "issuing_agency_name", "number", "issued_on", "active"]
        widgets = {"issued_on": DateInput()}


def _formset(model, form, **kwargs):
    return forms.inlineformset_factory(Registrant, model, form=form, extra=1, can_delete=True, **kwargs)


AliasFormSet = _formset(RegistrantName, AliasForm)
IdentifierFormSet = _formset(Identifier, IdentifierForm)
AddressFormSet = _formset(Address, AddressForm)
WarrantFormSet = _formset(Warrant, WarrantForm)

INLINES = {
    "aliases": AliasFormSet,
    "identifiers": IdentifierFormSet,
    "addresses": AddressFormSet,
    "warrants": WarrantFormSet,
}


class ImportUploadForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label="Registering jurisdiction")
    file = forms.FileField(help_text="CSV or XLSX with a header row.")

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies if agencies is not None else Agency.objects.none()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("Upload a .csv or .xlsx file.")
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError("The file is larger than 50 MB; use manage.py import_registrants.")
        return upload
