"""What the apps' demo loaders share (settings.DEMO_CONTENT, `manage.py load_demo_content`)."""


def create_or_update(model, lookup, values):
    """The row of `model` that `lookup` finds, created with `values` or brought
    up to them: (row, created, changed). Unlike Django's update_or_create, a row
    that already holds `values` is not saved again, so that its auto_now time
    (and a notice's sequence) stay and loading twice changes nothing."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **values), True, True
    changed = any(getattr(row, field) != value for field, value in values.items())
    if changed:
        for field, value in values.items():
            setattr(row, field, value)
        row.save()
    return row, False, changed
