from django import forms

from .models import FIRST_YEAR, LAST_YEAR, Category


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search news",
        max_length=200,
        required=False,
        error_messages={"max_length": "Enter a search of %(limit_value)d characters or fewer."},
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All categories",
        error_messages={"invalid_choice": "Choose a category from the list."},
    )
    year = forms.IntegerField(
        required=False,
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={
            "invalid": "Enter a year as four digits, like 2020.",
            "min_value": f"Enter a year from {FIRST_YEAR} to {LAST_YEAR}.",
            "max_value": f"Enter a year from {FIRST_YEAR} to {LAST_YEAR}.",
        },
    )

