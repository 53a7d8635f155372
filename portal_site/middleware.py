from django.conf import settings
from django.urls import reverse


class AdminContentSecurityPolicyMiddleware:
    """Give admin pages the policy in settings.ADMIN_CSP.

    CKEditor 5 sets inline style attributes on its UI, which the public
    policy forbids; only staff pages get that allowance. Sits below Django's
    CSP middleware so that it marks the response before the header is built.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        response = self.get_response(request)
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        if request.path.startswith(self.admin_prefix) or request.path.startswith("/ckeditor5/"):
            response._csp_config = settings.ADMIN_CSP
        return response
