"""Every list page's filter form: each field has a label, and the form submitted as it is first
shown (every select at its first choice, every box empty) filters nothing out."""

from __future__ import annotations

import importlib
import inspect
import re

import django_filters
import pytest
from django import forms

MODULES = [
    "cases.filters", "cases.filters_foreign", "cases.filters_hits", "notifications.filters", "registrants.filters",
    "rsoits.filters",
]  # fmt: skip


def filtersets():
    for name in MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, django_filters.FilterSet) and cls.__module__ == name and cls._meta.model:
                yield cls


def as_first_shown(form: forms.Form) -> dict[str, str]:
    """What a browser sends for the form unchanged: a select's selected (else first) option."""
    data = {}
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.SelectMultiple):
            continue
        if isinstance(field.widget, forms.Select):
            choices = list(field.widget.choices)
            initial = form[name].value()
            data[name] = str(initial) if initial not in (None, "") else str(choices[0][0]) if choices else ""
        else:
            data[name] = ""
    return data


@pytest.mark.django_db
def test_every_filter_has_a_label():
    found = list(filtersets())
    assert len(found) >= 8
    for cls in found:
        for name, field in cls().form.fields.items():
            if isinstance(field.widget, forms.HiddenInput):
                continue
            label = str(field.label or "")
            assert label and "[invalid name]" not in label, f"{cls.__name__}.{name}: {label!r}"
            # (not a label django-filter made up from the lookup: "Exclude acknowledged at is null")
            assert not re.search(
                r"\b(is null|exclude|is in|contains|greater than|less than|memberships)\b", label, re.I
            ), f"{cls.__name__}.{name}"


@pytest.mark.django_db
def test_a_filter_form_submitted_unchanged_filters_nothing(world):
    from tests.cases.test_dashboard import notice

    notice(world, days=30)  # a travel notice and its case (normal priority)
    for cls in filtersets():
        queryset = cls._meta.model._default_manager.all()
        data = as_first_shown(cls(queryset=queryset).form)
        filtered = cls(data, queryset=queryset)
        assert filtered.is_valid(), (cls.__name__, filtered.errors)
        assert filtered.qs.count() == queryset.count(), (cls.__name__, data)
