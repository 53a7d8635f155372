from django import forms

from .models import Document


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search news",
        max_length=200,
        required=False,
        error_messages={"max_length": "Enter a search of %(limit_value)d characters or fewer."},
    )


class DocumentForm(forms.ModelForm):
    class Meta:
        model = Document
        fields = ["title", "file", "position"]
