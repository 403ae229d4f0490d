"""Forms of travel notices (the notice with its itinerary legs inline) and of case work."""

from __future__ import annotations

from django import forms

from registrants.models import Registrant

from .choices import ReturnOutcome
from .models import CHECKLIST_FIELDS, Case, ItineraryLeg, TravelNotice


class DateInput(forms.DateInput):
    input_type = "date"


NOTICE_FORM_FIELDS = [
    "registrant", "date_given", "departure_date", "return_date", "purpose", "purpose_detail", "passport_number",
    "passport_country", "companions", "means_of_travel", "late_reason", "late_reason_detail",
]  # fmt: skip


class TravelNoticeForm(forms.ModelForm):
    """The notice itself. The registrant list holds only the filer's own registrants; the service
    checks it again and computes lateness, so the form never decides anything on its own."""

    class Meta:
        model = TravelNotice
        fields = NOTICE_FORM_FIELDS
        widgets = {
            "date_given": DateInput(),
            "departure_date": DateInput(),
            "return_date": DateInput(),
            "companions": forms.Textarea(attrs={"rows": 2}),
            "late_reason_detail": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {"late_reason": "Required when the notice is given less than 21 days before departure."}

    def __init__(self, *args, registrants=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registrant"].queryset = registrants if registrants is not None else Registrant.objects.none()
        if self.instance.pk:
            self.fields["registrant"].disabled = True

    def _post_clean(self):
        # Model validation runs in the service (with the legs), which names each field.
        pass


class AmendForm(TravelNoticeForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Why the notice changes.")


class ItineraryLegForm(forms.ModelForm):
    class Meta:
        model = ItineraryLeg
        fields = [
            "country", "city", "arrival_date", "departure_date", "address", "carrier", "flight_numbers",
            "port_of_departure", "port_of_entry",
        ]  # fmt: skip
        widgets = {
            "arrival_date": DateInput(),
            "departure_date": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "country": forms.TextInput(attrs={"maxlength": 2, "size": 3, "autocomplete": "off"}),
        }
        help_texts = {"country": "ISO 3166 two-letter code, e.g. FR."}

    def _post_clean(self):
        pass


ItineraryLegFormSet = forms.inlineformset_factory(
    TravelNotice, ItineraryLeg, form=ItineraryLegForm, extra=2, can_delete=True, min_num=0
)


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the trip will not happen.")


class ReturnForm(forms.Form):
    outcome = forms.ChoiceField(choices=ReturnOutcome.choices, widget=forms.RadioSelect)
    actual_return_date = forms.DateField(required=False, widget=DateInput(), help_text="If not the planned date.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- cases ----------------------------------------------------------------------------------


class TransitionForm(forms.Form):
    to_status = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="(unassigned)")

    def __init__(self, *args, assignees=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees


class BulkAssignForm(AssignForm):
    cases = forms.ModelMultipleChoiceField(queryset=None, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, cases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = cases


class ChecklistForm(forms.ModelForm):
    class Meta:
        model = Case
        fields = list(CHECKLIST_FIELDS)

    def _post_clean(self):
        pass


class NoteForm(forms.Form):
    body = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 3}))


class AttachmentForm(forms.Form):
    file = forms.FileField()
    description = forms.CharField(required=False, max_length=200)
