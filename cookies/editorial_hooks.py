"""The privacy officers' staff role: the cookie policy, the consent log and
its statistics (settings.EDITORIAL_REGISTRATIONS; editorial.roles gives the
group exactly these permissions on every migrate). Nothing of cookies is
under review."""

from editorial.registry import Registration

STATISTICS_PERMISSION = "cookies.view_consent_statistics"

registration = Registration(
    # Categories, declarations, the policy version, the (read-only) consent log
    # and the consent statistics: everything of the cookies app.
    roles={"Privacy officers": ["cookies.*"]},
)
