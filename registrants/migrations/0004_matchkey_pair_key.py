"""``MatchKey`` keyed by (registrant, key) without a surrogate id or a database-level foreign
key. Django cannot change a table's primary key in place, so the keys move to a new table."""

import django.db.models.deletion
from django.db import migrations, models


def copy_keys(apps, schema_editor):
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote('registrants_matchkey')} (registrant_id, key) "
            f"SELECT registrant_id, key FROM {quote('registrants_legacymatchkey')}"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("registrants", "0003_lean_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="matchkey", name="matchkey_lookup"),
        migrations.RemoveConstraint(model_name="matchkey", name="matchkey_unique_per_registrant"),
        migrations.RenameModel("MatchKey", "LegacyMatchKey"),
        migrations.CreateModel(
            name="MatchKey",
            fields=[
                ("pk", models.CompositePrimaryKey("registrant_id", "key", blank=True, editable=False, primary_key=True, serialize=False)),
                ("key", models.CharField(max_length=80)),
                (
                    "registrant",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="match_keys",
                        to="registrants.registrant",
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["key", "registrant"], name="matchkey_lookup")],
            },
        ),
        migrations.RunPython(copy_keys, migrations.RunPython.noop),
        migrations.DeleteModel("LegacyMatchKey"),
    ]
