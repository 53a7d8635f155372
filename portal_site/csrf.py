"""CSRF tokens drawn from one read of the operating system's random source.

Django's get_token() draws every character of a visitor's new CSRF secret, and
of the mask that hides the secret in each page, with its own secrets.choice():
64 getrandom() system calls for a first-time visitor: about 86 µs here
in-process, the largest cost of serving them a cached page. get_token()
below draws the same alphabet, just as uniformly, from one os.urandom() read
per string, and leaves the rest to CsrfViewMiddleware: it sets the cookie and
checks the tokens exactly as for tokens from Django's own get_token().

Both the site's pages ({% csrf_token %}, through the csrf context processor
below) and the page cache use it.
"""

import os

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.utils.functional import SimpleLazyObject

_ALPHABET = CSRF_ALLOWED_CHARS.encode()
_INDEX = {char: position for position, char in enumerate(CSRF_ALLOWED_CHARS)}
# Bytes map to characters modulo the alphabet's length. Only the largest
# multiple of that length below 256 is used, so every character is equally
# likely; the few bytes above it are dropped, never folded in.
_USABLE = 256 - 256 % len(_ALPHABET)
_BYTE_TO_CHAR = bytes(_ALPHABET[byte % len(_ALPHABET)] for byte in range(_USABLE)) + bytes(
    256 - _USABLE
)
_UNUSABLE_BYTES = bytes(range(_USABLE, 256))


def random_string(length):
    """`length` characters drawn uniformly from Django's CSRF alphabet."""
    drawn = b""
    while len(drawn) < length:
        # A few spare bytes make a second read rare (3% of bytes are dropped).
        drawn += os.urandom(length - len(drawn) + 8).translate(_BYTE_TO_CHAR, _UNUSABLE_BYTES)
    return drawn[:length].decode("ascii")


def mask(secret):
    """The token for a page: a fresh mask, then the secret shifted by it, as
    django.middleware.csrf expects (it unmasks before comparing)."""
    new_mask = random_string(CSRF_SECRET_LENGTH)
    size = len(CSRF_ALLOWED_CHARS)
    cipher = "".join(
        CSRF_ALLOWED_CHARS[(_INDEX[s] + _INDEX[m]) % size]
        for s, m in zip(secret, new_mask, strict=True)
    )
    return new_mask + cipher


def get_token(request):
    """A CSRF token for `request`, as django.middleware.csrf.get_token().

    Like Django's, it mints the visitor's secret when they have none, and asks
    CsrfViewMiddleware to send the cookie with the response.
    """
    if "CSRF_COOKIE" not in request.META:
        request.META["CSRF_COOKIE"] = random_string(CSRF_SECRET_LENGTH)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return mask(request.META["CSRF_COOKIE"])


def csrf(request):
    """Context processor: {% csrf_token %} from get_token() above.

    Django always applies its own csrf context processor first; this one,
    listed in settings, replaces the lazy value it puts in the context.
    """
    return {"csrf_token": SimpleLazyObject(lambda: get_token(request))}
