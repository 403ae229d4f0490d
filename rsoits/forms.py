"""Core forms: sign-in with the system-use notice, and admin screens."""

from __future__ import annotations

from allauth.account.forms import LoginForm
from django import forms

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

    def login(self, request, redirect_url=None):
        from .services import user_acknowledge_notice

        response = super().login(request, redirect_url=redirect_url)
        if request.user.is_authenticated:
            user_acknowledge_notice(user=request.user, request=request)
        return response
