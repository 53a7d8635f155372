"""One canonical form of an email address, used wherever two addresses are
compared: sign-up limits, duplicates, imports, suppressions and webhooks.

The domain is lower-cased and IDNA-encoded, so "victim@exämple.org" and
"victim@xn--exmple-cua.org" are one address. The local part is lower-cased
too: strictly it is the receiving server's to interpret, but every mailbox
provider our subscribers use treats it case-insensitively, and the list has
always stored it that way."""

import unicodedata


class InvalidAddress(ValueError):
    pass


def canonical(email):
    """The canonical form of `email`; InvalidAddress if its domain cannot be encoded."""
    email = unicodedata.normalize("NFC", email.strip())
    if any(ord(char) < 32 or ord(char) == 127 for char in email):
        raise InvalidAddress(f"{email!r} contains a control character")
    local, at, domain = email.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress(f"{email!r} is not an email address")
    try:
        # Python's codec applies nameprep (IDNA 2003), which also lower-cases.
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise InvalidAddress(f"{email!r} has a domain that cannot be encoded") from error
    return f"{local.lower()}@{ascii_domain}"


def canonical_or_none(email):
    try:
        return canonical(email or "")
    except InvalidAddress:
        return None
