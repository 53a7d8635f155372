from django.conf import settings
from django.contrib import admin
from django.views.decorators.csp import csp_override


class PortalAdminSite(admin.AdminSite):
    """The site's admin: its names, and the policy in settings.ADMIN_CSP.

    CKEditor 5 sets inline style attributes on its UI, which the public
    policy forbids; only staff pages get that allowance (csp_override on
    every view the admin wraps, its own and each ModelAdmin's)."""

    site_header = f"{settings.SITE_NAME} news administration"
    site_title = f"{settings.SITE_NAME} news"

    def admin_view(self, view, cacheable=False):
        return csp_override(settings.ADMIN_CSP)(super().admin_view(view, cacheable))
