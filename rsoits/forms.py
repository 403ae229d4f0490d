"""Core forms: sign-in with the system-use notice, and admin screens."""

from __future__ import annotations

from allauth.account.forms import LoginForm
from django import forms
from django.core.exceptions import ValidationError

SYSTEM_USE_NOTICE = (
    "You are accessing a U.S. Government information system, which includes this computer, this "
    "network, all computers connected to this network, and all devices and storage media attached "
    "to this network or to a computer on this network. This system is provided for U.S. "
    "Government-authorized use only, and contains Criminal Justice Information. Unauthorized or "
    "improper use of this system is prohibited and may result in disciplinary action and civil and "
    "criminal penalties. By using this system you understand and consent that you have no "
    "reasonable expectation of privacy regarding any communication or data transiting or stored on "
    "it; that at any time, and for any lawful Government purpose, the Government may monitor, "
    "intercept, search and seize any such communication or data; and that every use is logged."
)


class SystemUseLoginForm(LoginForm):
    """Sign-in that requires acknowledging the system-use notice (CJIS Security Policy 5.5.4)."""

    acknowledge_notice = forms.BooleanField(
        label="I have read and accept the system-use notice.",
        required=True,
        error_messages={"required": "You must acknowledge the system-use notice to sign in."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("remember", None)

    def clean(self):
        cleaned_data = super().clean()
        # The password step has passed (with MFA on, the second factor comes next): the
        # acknowledgement is recorded now, so it is logged whether or not MFA follows.
        if not self._errors and self.user is not None and cleaned_data.get("acknowledge_notice"):
            from .services import user_acknowledge_notice

            user_acknowledge_notice(user=self.user, request=self.request)
        return cleaned_data


class ApiTokenForm(forms.Form):
    """Issue an API token for one of the users the admin may change."""

    user = forms.ModelChoiceField(queryset=None, label="User", empty_label="Choose a user")
    days = forms.IntegerField(
        label="Lifetime (days)",
        min_value=1,
        max_value=366,
        initial=90,
        help_text="The token stops working after this many days.",
    )

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: each error on its field when the form has
    one, otherwise on top, prefixed with the field it names."""
    details = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for name, errors in details.items():
        for error in errors:
            if name in form.fields:
                form.add_error(name, error)
            else:
                form.add_error(None, f"{name}: {error}" if name and name != "__all__" else error)
