"""Forms of the admin screens. They only validate input; every write goes through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .choices import Role
from .models import Agency, AgencyContact, AgencyEndpoint, Installation, User
from .principal import Principal


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, naming the field where the form has one."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


def admin_agencies(principal: Principal):
    """Agencies the principal administers (every agency for a system admin)."""
    qs = Agency.objects.filter(active=True)
    return qs if principal.is_system_admin else qs.filter(pk__in=principal.admin_agency_ids)


def grantable_roles(principal: Principal) -> list[tuple[str, str]]:
    if principal.is_system_admin:
        return list(Role.choices)
    return [(value, label) for value, label in Role.choices if value != Role.SYSTEM_ADMIN]


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["code", "name", "kind", "jurisdiction_type", "jurisdiction", "ori", "parent", "address", "active"]


class ContactForm(forms.ModelForm):
    class Meta:
        model = AgencyContact
        fields = ["name", "title", "email", "phone", "is_24x7", "notes"]


class EndpointForm(forms.ModelForm):
    class Meta:
        model = AgencyEndpoint
        fields = ["kind", "address", "secure", "active", "description"]


class InstallationForm(forms.ModelForm):
    class Meta:
        model = Installation
        fields = ["code", "name", "component", "city", "state", "country", "lea", "active"]


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput, required=False, help_text="Leave blank to set none.")
    agency = forms.ModelChoiceField(queryset=Agency.objects.none())
    role = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = admin_agencies(principal)
        self.fields["role"].choices = grantable_roles(principal)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("That user name is taken.")
        return username


class UserUpdateForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "title", "is_active"]


class MembershipGrantForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none())
    role = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, principal: Principal, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = admin_agencies(principal)
        self.fields["role"].choices = grantable_roles(principal)
