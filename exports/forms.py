"""The export page's form: which task states to include and whether to render masks."""

from django import forms

from labeling.states import DONE_STATES, State


class ExportForm(forms.Form):
    states = forms.MultipleChoiceField(
        choices=State.choices,
        initial=list(DONE_STATES),
        widget=forms.CheckboxSelectMultiple,
        label="Tasks to include",
        help_text="Tasks in these states are exported.",
    )
    masks = forms.BooleanField(
        required=False,
        label="Render segmentation masks",
        help_text="One PNG per image and segmentation class, downloadable as a zip with the JSON.",
    )
