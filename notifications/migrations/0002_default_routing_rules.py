"""Seed the default routing table (DESIGN.md "Who is told what")."""

from django.db import migrations


def seed(apps, schema_editor):
    from notifications.defaults import install_default_rules

    install_default_rules(apps.get_model("notifications", "RoutingRule"), apps.get_model("notifications", "HistoricalRoutingRule"))


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
