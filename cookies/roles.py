"""The privacy officers' staff role: the cookie policy, the consent log and its statistics.

editorial.roles gives the group exactly these permissions on every migrate.
"""

STATISTICS_PERMISSION = "cookies.view_consent_statistics"

PRIVACY_OFFICERS = {
    # Categories, declarations, the policy version, the (read-only) consent log
    # and the consent statistics: everything of the cookies app.
    "Privacy officers": ["cookies.*"],
}
