"""Rename the newsletter's ConsentRecord (cookies has its own) keeping its rows;
give every subscriber a random public id for links; store addresses in the
canonical form (IDNA-encoded domain)."""

import uuid

from django.db import migrations, models


def fill_public_ids(apps, schema_editor):
    Subscriber = apps.get_model("newsletter", "Subscriber")
    for pk in Subscriber.objects.filter(public_id__isnull=True).values_list("pk", flat=True):
        Subscriber.objects.filter(pk=pk).update(public_id=uuid.uuid4())


def canonicalise_addresses(apps, schema_editor):
    from newsletter.addresses import canonical_or_none

    Subscriber = apps.get_model("newsletter", "Subscriber")
    # Only a domain that is not ASCII changes form; an address whose canonical
    # form is already on the list is left for staff to merge.
    for pk, email in Subscriber.objects.values_list("pk", "email").iterator():
        if email.isascii():
            continue
        new = canonical_or_none(email)
        if new and new != email and not Subscriber.objects.filter(email=new).exists():
            Subscriber.objects.filter(pk=pk).update(email=new)


class Migration(migrations.Migration):
    dependencies = [("newsletter", "0001_initial")]

    operations = [
        migrations.RenameModel("ConsentRecord", "SubscriptionConsent"),
        migrations.AddField(
            model_name="subscriber",
            name="public_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_public_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="subscriber",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, unique=True, editable=False),
        ),
        migrations.RunPython(canonicalise_addresses, migrations.RunPython.noop),
    ]
