from django.db import migrations, models


def classify_and_declare(apps, schema_editor):
    """Existing log entries were all consent choices; the analytics category
    collects statistics only; the banner's pending choice is declared."""
    from cookies.defaults import PENDING_CHOICE, add_declaration

    record_model = apps.get_model("cookies", "ConsentRecord")
    batch = []
    for record in record_model.objects.only("choices").iterator(chunk_size=2000):
        values = set(record.choices.values())
        record.decision = "partly" if len(values) > 1 else ("rejected" if values == {False} else "accepted")
        batch.append(record)
        if len(batch) == 2000:
            record_model.objects.bulk_update(batch, ["decision"])
            batch = []
    record_model.objects.bulk_update(batch, ["decision"])

    category_model = apps.get_model("cookies", "CookieCategory")
    declaration_model = apps.get_model("cookies", "CookieDeclaration")
    category_model.objects.filter(slug="analytics").update(statistics=True)
    # A fresh database has it already (0002 installs today's defaults), stored as a cookie.
    pending = declaration_model.objects.filter(name=PENDING_CHOICE[0])
    necessary = category_model.objects.filter(slug="strictly-necessary").first()
    if pending.exists():
        pending.update(storage="session")
    elif necessary:
        order = necessary.declarations.count()
        add_declaration(declaration_model, necessary, order, *PENDING_CHOICE)


class Migration(migrations.Migration):

    dependencies = [
        ("cookies", "0003_consent_idempotency_key"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="consentrecord",
            options={
                "ordering": ["-created_at"],
                "permissions": [("view_consent_statistics", "Can view consent statistics")],
                "verbose_name": "consent log entry",
                "verbose_name_plural": "consent log",
            },
        ),
        migrations.AddField(
            model_name="consentpolicy",
            name="statistics_basis",
            field=models.CharField(
                choices=[
                    ("consent", "Consent: set only after the visitor accepts them"),
                    ("exception", "Statistics exception: set without asking, visitors may object"),
                ],
                default="consent",
                help_text="Set by COOKIE_STATISTICS_BASIS; a change starts a new version.",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="consentrecord",
            name="decision",
            field=models.CharField(
                choices=[
                    ("accepted", "Accepted"),
                    ("rejected", "Rejected"),
                    ("partly", "Accepted some"),
                    ("objected", "Objected to statistics"),
                    ("informed", "Informed, did not object"),
                ],
                default="accepted",
                max_length=10,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="cookiecategory",
            name="statistics",
            field=models.BooleanField(
                default=False,
                help_text="Used only to count how the site is used so that it can be improved: first-party statistics, no advertising, shared with no one but a processor working for the site. With COOKIE_STATISTICS_BASIS=exception such cookies are set without asking, and visitors may object.",
                verbose_name="statistics only",
            ),
        ),
        migrations.AddField(
            model_name="cookiedeclaration",
            name="storage",
            field=models.CharField(
                choices=[("cookie", "Cookie"), ("local", "Local storage"), ("session", "Session storage")],
                default="cookie",
                help_text="Where the browser keeps it.",
                max_length=10,
            ),
        ),
        migrations.RunPython(classify_and_declare, migrations.RunPython.noop),
    ]
