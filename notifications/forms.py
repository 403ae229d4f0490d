"""Forms of the routing screens."""

from __future__ import annotations

from typing import Any

from django import forms

from .choices import Channel, EventType, Priority, RecipientRole
from .models import RoutingRule


class RoutingCellForm(forms.Form):
    """The recipients of one matrix cell (event x fugitive): per recipient role, whether it is
    told, over which channels and with what priority. Field names: ``<role>__active`` etc."""

    def __init__(self, *args: Any, rules: list[RoutingRule], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        by_role = {r.recipient_role: r for r in rules}
        self.roles = []
        for role, label in RecipientRole.choices:
            rule = by_role.get(role)
            self.fields[f"{role}__active"] = forms.BooleanField(
                label=f"Tell the {label}", required=False, initial=bool(rule and rule.active)
            )
            self.fields[f"{role}__channels"] = forms.MultipleChoiceField(
                label="Channels",
                choices=Channel.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=rule.channels if rule else [Channel.INBOX, Channel.EMAIL, Channel.WEBHOOK],
            )
            self.fields[f"{role}__priority"] = forms.ChoiceField(
                label="Priority", choices=Priority.choices, initial=rule.priority if rule else Priority.ROUTINE
            )
            self.roles.append((role, label))

    def role_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": label,
                "active": self[f"{role}__active"],
                "channels": self[f"{role}__channels"],
                "priority": self[f"{role}__priority"],
            }
            for role, label in self.roles
        ]

    def cleaned_rows(self) -> dict[str, dict[str, Any]]:
        return {
            role: {
                "active": self.cleaned_data[f"{role}__active"],
                "channels": self.cleaned_data[f"{role}__channels"],
                "priority": self.cleaned_data[f"{role}__priority"],
            }
            for role, _ in self.roles
        }


class RoutingPreviewForm(forms.Form):
    event_type = forms.ChoiceField(label="Event", choices=EventType.choices)
    registrant = forms.IntegerField(label="Registrant number (RSOITS id)", min_value=1)
    countries = forms.CharField(
        label="Destination countries", required=False, help_text="ISO 3166 alpha-2 codes, comma separated (FR, DE)."
    )

    def clean_countries(self) -> list[str]:
        codes = [c.strip().upper() for c in self.cleaned_data["countries"].split(",") if c.strip()]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            raise forms.ValidationError(f"Not ISO 3166 alpha-2 codes: {', '.join(bad)}.")
        return codes
