"""The categories and cookies the site starts with (installed by a data migration)."""

STRICTLY_NECESSARY = {
    "name": "Strictly necessary",
    "slug": "strictly-necessary",
    "required": True,
    "order": 0,
    "description": (
        "These cookies make the site work: they keep it secure and remember your cookie "
        "choices. They do not identify you and you cannot switch them off."
    ),
    "declarations": [
        ("csrftoken", "This site", "Protects the forms on this site from forgery", "1 year"),
        ("sessionid", "This site", "Keeps staff signed in to the site's administration",
         "2 weeks"),
        ("cookie_consent", "This site", "Saves your cookie settings", "1 year"),
        ("cookie_consent_saved", "This site",
         "Shows the confirmation once after you save your cookie settings", "1 minute"),
        ("messages", "This site", "Shows a message after you submit a form",
         "When you close your browser"),
    ],
}
ANALYTICS = {
    "name": "Analytics",
    "slug": "analytics",
    "required": False,
    "order": 10,
    "description": (
        "With your permission, we use Google Analytics to collect data about how you use "
        "this site. This information helps us to improve our service. Google is not allowed "
        "to use or share our analytics data."
    ),
    "declarations": [
        ("_ga", "Google", "Checks if you've visited the site before; this helps us count "
         "how many people visit", "2 years"),
        ("_ga_*", "Google", "Used by Google Analytics to remember the state of your visit",
         "2 years"),
    ],
}
MARKETING = {
    "name": "Marketing",
    "slug": "marketing",
    "required": False,
    "order": 20,
    "description": (
        "Marketing cookies measure the effect of our campaigns on other websites. We do not "
        "use any at the moment."
    ),
    "declarations": [],
}
CATEGORIES = [STRICTLY_NECESSARY, ANALYTICS, MARKETING]


def install(category_model, declaration_model, policy_model):
    """Create the defaults that are missing; takes the model classes so that the
    data migration can pass its historical models and tests the real ones."""
    for spec in CATEGORIES:
        fields = {k: v for k, v in spec.items() if k not in ("slug", "declarations")}
        category, created = category_model.objects.get_or_create(slug=spec["slug"], defaults=fields)
        if not created:
            continue
        for order, (name, provider, purpose, duration) in enumerate(spec["declarations"]):
            declaration_model.objects.create(
                category=category, name=name, provider=provider, purpose=purpose,
                duration=duration, order=order,
            )
    if not policy_model.objects.exists():
        policy_model.objects.create(version=1)
