"""The categories and cookies the site starts with (installed by a data migration)."""

# Web storage, not a cookie: static/js/cookies.js keeps a banner choice here
# until the site has saved it (the next page sends it again otherwise).
PENDING_CHOICE = (
    "cookie-consent-pending", "This site",
    "Keeps a cookie choice you made until the site has saved it", "When you close your browser",
    "session",
)

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
        PENDING_CHOICE,
    ],
}
ANALYTICS = {
    "name": "Analytics",
    "slug": "analytics",
    "required": False,
    "statistics": True,
    "order": 10,
    "description": (
        "We use Google Analytics to collect data about how you use this site. This "
        "information helps us to improve our service. Google is not allowed to use or share "
        "our analytics data."
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


def _known(model, fields):
    """The fields `model` has: an early migration's historical model lacks later ones."""
    names = {field.name for field in model._meta.get_fields()}
    return {name: value for name, value in fields.items() if name in names}


def add_declaration(declaration_model, category, order, name, provider, purpose, duration,
                    storage="cookie"):
    declaration_model.objects.create(**_known(declaration_model, {
        "category": category, "name": name, "provider": provider, "purpose": purpose,
        "duration": duration, "order": order, "storage": storage,
    }))


def install(category_model, declaration_model, policy_model):
    """Create the defaults that are missing; takes the model classes so that the
    data migration can pass its historical models and tests the real ones."""
    for spec in CATEGORIES:
        fields = {k: v for k, v in spec.items() if k not in ("slug", "declarations")}
        category, created = category_model.objects.get_or_create(
            slug=spec["slug"], defaults=_known(category_model, fields)
        )
        if not created:
            continue
        for order, declaration in enumerate(spec["declarations"]):
            add_declaration(declaration_model, category, order, *declaration)
    if not policy_model.objects.exists():
        policy_model.objects.create(version=1)
