from django import forms

FIELD_PREFIX = "cookies-"


class ConsentForm(forms.Form):
    """The cookies page: a choice for each non-essential category that declares
    cookies. Yes/No to accept it or, for statistics under the exception,
    Yes/No to use it (No is an objection)."""

    def __init__(self, *args, categories, initial_choices, exception_slugs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        for category in self.categories:
            name = category.name.lower()
            if category.slug in exception_slugs:
                label = f"Can we use {name} cookies to collect statistics?"
                choices = [("yes", "Yes"), ("no", "No, I object")]
                required = f"Select yes if we can use {name} cookies, or no if you object"
            else:
                label = f"Do you want to accept {name} cookies?"
                choices = [("yes", "Yes"), ("no", "No")]
                required = f"Select yes if you want to accept {name} cookies, or no if you do not"
            self.fields[FIELD_PREFIX + category.slug] = forms.ChoiceField(
                label=label,
                choices=choices,
                initial="yes" if initial_choices.get(category.slug) else "no",
                widget=forms.RadioSelect,
                error_messages={"required": required, "invalid_choice": "Select yes or no"},
            )
        self.unknown = sorted(
            key[len(FIELD_PREFIX):]
            for key in (self.data or {})
            if key.startswith(FIELD_PREFIX) and key not in self.fields
        )

    def clean(self):
        if self.unknown:
            raise forms.ValidationError(
                "There is no cookie category called %(names)s. Reload the page and choose again.",
                params={"names": ", ".join(self.unknown)[:200]},
            )
        return super().clean()

    def choices(self):
        return {
            category.slug: self.cleaned_data[FIELD_PREFIX + category.slug] == "yes"
            for category in self.categories
        }

    def rows(self):
        """(category, bound field) for the template."""
        return [(category, self[FIELD_PREFIX + category.slug]) for category in self.categories]
