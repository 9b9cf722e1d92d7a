"""The name rule (rules/names.py: no control, invisible or text-direction characters) as a validator
for the name fields of models and forms."""

from django.core.exceptions import ValidationError

from rules.names import problem


def validate_visible(text):
    """Model and form field validator: refuse names with hidden characters."""
    message = problem(text)
    if message is not None:
        raise ValidationError(message, code="hidden_characters")
