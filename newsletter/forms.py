from django import forms
from django.core.validators import validate_email

from news.selectors import categories

from .addresses import InvalidAddress, canonical
from .models import CONSENT_TEXTS, CONSENT_VERSION, Frequency, Source

SIGNUP_SOURCES = [Source.PAGE, Source.BANNER]


class TopicsField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(
            queryset=categories(),
            required=False,
            label="Topics",
            help_text="Leave every topic ticked to get all the news, including new topics.",
            error_messages={
                "invalid_choice": "Choose topics from the list.",
                "invalid_pk_value": "Choose topics from the list.",
                "list": "Choose topics from the list.",
            },
            **kwargs,
        )


class PreferencesForm(forms.Form):
    topics = TopicsField()
    frequency = forms.ChoiceField(
        choices=Frequency.choices,
        widget=forms.RadioSelect,
        label="How often",
        error_messages={
            "required": "Choose how often you want the newsletter.",
            "invalid_choice": "Choose how often you want the newsletter.",
        },
    )

    def clean_topics(self):
        topics = self.cleaned_data["topics"]
        # Every topic ticked (or none) means "all", so new topics are included too.
        if not topics or len(topics) == self.fields["topics"].queryset.count():
            return []
        return list(topics)


class EmailAddressField(forms.CharField):
    """An email address, checked and returned in canonical form, with the
    site's messages."""

    def __init__(self, **kwargs):
        super().__init__(
            label="Email address",
            max_length=254,
            strip=False,
            widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
            error_messages={
                "required": "Enter your email address.",
                "max_length": "Enter an email address of 254 characters or fewer.",
            },
            **kwargs,
        )

    def clean(self, value):
        email = super().clean(value)
        if "\r" in email or "\n" in email:
            raise forms.ValidationError("Enter an email address on one line, without line breaks.")
        email = email.strip()
        try:
            validate_email(email)
            return canonical(email)
        except (forms.ValidationError, InvalidAddress):
            raise forms.ValidationError(
                "Enter an email address in the correct format, like name@example.com."
            ) from None


class HoneypotMixin(forms.Form):
    # A field people never see: bots fill it in.
    website = forms.CharField(required=False, label="Leave this field empty")

    def is_bot(self):
        return bool(self.cleaned_data.get("website"))


class SignupForm(HoneypotMixin, PreferencesForm):
    email = EmailAddressField()
    consent_version = forms.CharField(widget=forms.HiddenInput, initial=CONSENT_VERSION)
    source = forms.CharField(widget=forms.HiddenInput, required=False)

    field_order = ["email", "topics", "frequency"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["frequency"].initial = Frequency.WEEKLY
        self.fields["topics"].initial = [c.pk for c in self.fields["topics"].queryset]

    def clean_consent_version(self):
        version = self.cleaned_data["consent_version"]
        if version not in CONSENT_TEXTS:
            raise forms.ValidationError(
                "The wording of our promise has changed. Please read it again and resubmit."
            )
        return version

    def clean_source(self):
        source = self.cleaned_data.get("source")
        return source if source in SIGNUP_SOURCES else Source.PAGE


class LinkRequestForm(HoneypotMixin, forms.Form):
    """"Lost your link?"."""

    email = EmailAddressField()
    field_order = ["email"]
