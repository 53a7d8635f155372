class ReadOnlyAdminMixin:
    """For records that are evidence (consent logs, deliveries): staff may list,
    view and export them, but nobody adds, edits or deletes them by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
