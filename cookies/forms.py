from django import forms

from .models import CookieCategory

YES_NO = [("yes", "Yes"), ("no", "No")]
FIELD_PREFIX = "cookies-"


class ConsentForm(forms.Form):
    """The cookies page: Yes/No for each non-essential category that declares cookies."""

    def __init__(self, *args, categories, initial_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        for category in self.categories:
            self.fields[FIELD_PREFIX + category.slug] = forms.ChoiceField(
                label=f"Do you want to accept {category.name.lower()} cookies?",
                choices=YES_NO,
                initial="yes" if initial_choices.get(category.slug) else "no",
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Select yes if you want to accept {category.name.lower()} "
                    "cookies, or no if you do not",
                    "invalid_choice": "Select yes or no",
                },
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


def optional_categories():
    return (
        CookieCategory.objects.optional()
        .with_declaration_count()
        .filter(declaration_count__gt=0)
    )


__all__ = ["ConsentForm", "optional_categories", "FIELD_PREFIX"]
