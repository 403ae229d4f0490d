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
