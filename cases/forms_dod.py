"""Forms of DoD installation monitoring and UCMJ separation notices."""

from __future__ import annotations

from django import forms

from .models.dod import InstallationMonitoring, MonitoringCheck, SeparationNotice

DATE = forms.DateInput(attrs={"type": "date"})


class MonitoringPlanForm(forms.ModelForm):
    class Meta:
        model = InstallationMonitoring
        fields = [
            "coordinated_with", "coordinated_on", "restrictions_found", "restrictions", "monitored_by",
            "check_interval_days", "notes",
        ]  # fmt: skip
        widgets = {"coordinated_on": DATE}
        labels = {"coordinated_with": "State registry consulted", "coordinated_on": "Coordinated on"}


class MonitoringCheckForm(forms.ModelForm):
    class Meta:
        model = MonitoringCheck
        fields = ["checked_on", "outcome", "notes"]
        widgets = {"checked_on": DATE}


class MonitoringEndForm(forms.Form):
    ended_on = forms.DateField(widget=DATE)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class SeparationNoticeForm(forms.ModelForm):
    class Meta:
        model = SeparationNotice
        fields = [
            "kind", "component", "given_name", "middle_name", "surname", "date_of_birth", "dod_id", "ucmj_article",
            "offense", "conviction_date", "effective_date", "confinement_facility", "residence_street",
            "residence_city", "residence_state", "residence_postal_code",
        ]  # fmt: skip
        widgets = {"date_of_birth": DATE, "conviction_date": DATE, "effective_date": DATE}
