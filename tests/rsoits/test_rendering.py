"""The form renderer (Jinja2 with the USWDS templates, Django templates as the fallback) and the
API's identity URLs."""

from __future__ import annotations

import pytest
from django import forms
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from rsoits.api.serializers import IdentityUrlField
from rsoits.models import Agency
from tests.factories import AgencyFactory


class SampleForm(forms.Form):
    name = forms.CharField(label="Name <b>", help_text="As <i>written</i>")
    kind = forms.ChoiceField(choices=[("a", "A & B"), ("c", "C")])
    active = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea, required=False)


def test_fields_render_through_the_uswds_templates_escaped():
    form = SampleForm(data={"name": "", "kind": "c", "notes": "<script>"})
    assert not form.is_valid()
    html = str(form)
    assert 'class="usa-input"' in html and 'class="usa-select"' in html and 'class="usa-textarea"' in html
    assert 'class="usa-checkbox__input"' in html and 'class="usa-checkbox__label"' in html
    assert "usa-form-group--error" in html and "This field is required." in html
    assert "Name &lt;b&gt;" in html  # a label is escaped
    assert "As <i>written</i>" in html  # help text is trusted markup, as in Django's own templates
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert '<option value="c" selected>C</option>' in html and "A &amp; B" in html


class ChoicesForm(forms.Form):
    decision = forms.ChoiceField(choices=[("yes", "Yes & more"), ("no", "No")], widget=forms.RadioSelect)
    channels = forms.MultipleChoiceField(
        choices=[("inbox", "Inbox"), ("email", "E-mail")], widget=forms.CheckboxSelectMultiple, required=False
    )


def test_radio_and_checkbox_choices_render_as_uswds_controls_in_a_fieldset():
    """USWDS hides a native radio or checkbox input and draws the control with the label that
    follows it: without ``usa-radio__label`` / ``usa-checkbox__label`` (or with ``usa-input``, a
    text box's style) the choices cannot be seen or clicked."""
    html = str(ChoicesForm(initial={"decision": "no", "channels": ["email"]}))
    assert html.count('<fieldset class="usa-fieldset"') == 2
    assert '<legend class="usa-legend">Decision <abbr title="required"' in html
    assert '<legend class="usa-legend">Channels</legend>' in html
    assert '<label class="usa-label" for="id_decision"' not in html  # (a label for a group of inputs)
    assert "usa-input" not in html
    assert (
        '<div class="usa-radio"><input type="radio" name="decision" value="yes" class="usa-radio__input" required '
        'id="id_decision_0"><label class="usa-radio__label" for="id_decision_0">Yes &amp; more</label></div>'
    ) in html
    assert 'value="no" class="usa-radio__input" required id="id_decision_1" checked>' in html
    assert (
        '<div class="usa-checkbox"><input type="checkbox" name="channels" value="email" class="usa-checkbox__input" '
        'id="id_channels_1" checked><label class="usa-checkbox__label" for="id_channels_1">E-mail</label></div>'
    ) in html
    bound = ChoicesForm(data={"channels": ["fax"]})
    assert not bound.is_valid()
    html = str(bound)
    assert '<legend class="usa-legend usa-label--error">Decision' in html
    assert 'id="id_decision_error" role="alert">This field is required.' in html
    assert "Select a valid choice. fax is not one of the available choices." in html


def test_a_widget_with_django_templates_only_still_renders():
    from django.contrib.auth.forms import ReadOnlyPasswordHashWidget

    html = ReadOnlyPasswordHashWidget().render("password", "!")  # auth/widgets/... exists for DTL only
    assert "No password set." in html


@pytest.mark.django_db
def test_identity_urls_are_the_ones_hyperlinked_identity_field_gives(settings):
    settings.ALLOWED_HOSTS = ["rsoits.example.gov"]

    class Fast(serializers.ModelSerializer):
        url = IdentityUrlField(view_name="agency-detail")

        class Meta:
            model = Agency
            fields = ["id", "url"]

    class Plain(Fast):
        url = serializers.HyperlinkedIdentityField(view_name="agency-detail")

    agencies = [AgencyFactory(), AgencyFactory()]
    for path, query in (("/api/v1/agencies/", ""), ("/api/v1/agencies/?format=json", "?format=json")):
        request = APIRequestFactory().get(path, HTTP_HOST="rsoits.example.gov", secure=True)
        fast = Fast(agencies, many=True, context={"request": request}).data
        plain = Plain(agencies, many=True, context={"request": request}).data
        assert [r["url"] for r in fast] == [r["url"] for r in plain]
        assert fast[0]["url"] == f"https://rsoits.example.gov/api/v1/agencies/{agencies[0].pk}/{query}"
