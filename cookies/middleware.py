from .consent import FLASH_COOKIE


class ConsentConfirmationMiddleware:
    """Show the banner's confirmation once: the page that rendered it deletes
    the short-lived cookie the no-JavaScript form set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            FLASH_COOKIE in request.COOKIES
            and response.status_code == 200
            and response.get("Content-Type", "").startswith("text/html")
            and FLASH_COOKIE not in response.cookies
        ):
            response.delete_cookie(FLASH_COOKIE, samesite="Lax")
        return response
