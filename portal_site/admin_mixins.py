class ReadOnlyAdminMixin:
    """For records that are evidence (consent logs, deliveries): staff may list,
    view and export them, but nobody adds, edits or deletes them by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PublishPermissionAdminMixin:
    """The news items' publication rule for other content (maintenance notices,
    standing pages): only users with `publish_permission` may change `status`;
    what anyone else adds starts as a draft."""

    publish_permission = None  # "app_label.codename"
    status_field = "status"
    draft_status = "draft"

    def has_publish_permission(self, request):
        return request.user.has_perm(self.publish_permission)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            fields.append(self.status_field)
        return fields

    def save_model(self, request, obj, form, change):
        if not self.has_publish_permission(request) and not change:
            setattr(obj, self.status_field, self.draft_status)
        super().save_model(request, obj, form, change)
