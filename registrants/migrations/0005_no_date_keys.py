"""Dates of birth alone are looked up in ``RegistrantBirthDate``'s own index: their key rows go."""

from django.db import migrations


def drop_date_keys(apps, schema_editor):
    MatchKey = apps.get_model("registrants", "MatchKey")
    MatchKey.objects.filter(key__startswith="D").delete()


def restore_date_keys(apps, schema_editor):
    MatchKey = apps.get_model("registrants", "MatchKey")
    RegistrantBirthDate = apps.get_model("registrants", "RegistrantBirthDate")
    rows = {
        (rid, f"D{d.year:04d}{d.month:02d}{d.day:02d}")
        for rid, d in RegistrantBirthDate.objects.values_list("registrant_id", "date").iterator(chunk_size=10000)
    }
    MatchKey.objects.bulk_create([MatchKey(registrant_id=rid, key=key) for rid, key in rows], batch_size=5000)


class Migration(migrations.Migration):
    dependencies = [
        ("registrants", "0004_matchkey_pair_key"),
    ]

    operations = [migrations.RunPython(drop_date_keys, restore_date_keys)]
