from django.conf import settings


class AdminContentSecurityPolicyMiddleware:
    """Give admin pages the policy in settings.ADMIN_CSP.

    CKEditor 5 sets inline style attributes on its UI, which the public
    policy forbids; only staff pages get that allowance. Sits below Django's
    CSP middleware so that it marks the response before the header is built.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if match and ("admin" in match.namespaces or match.url_name == "ck_editor_5_upload_file"):
            response._csp_config = settings.ADMIN_CSP
        return response
