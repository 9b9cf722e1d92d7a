"""The export page's form (task states, masks) and the release form (name, states, task type)."""

from django import forms

from exports import releases
from exports.models import Release
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


class ReleaseForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Unique in the project, e.g. v1.0.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    labeled_states = forms.MultipleChoiceField(
        choices=State.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Count as labelled",
        help_text="Tasks in these states get the label status LABELED.",
    )
    reviewed_states = forms.MultipleChoiceField(
        choices=State.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Count as reviewed",
        help_text="Tasks in these states get the label status REVIEWED.",
    )
    task_type = forms.ChoiceField(
        choices=Release.TaskType.choices,
        help_text="Segmentation bitmap: one instance PNG per image for areas. Vector: boxes, polygons, lines, points.",
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_name(self):
        try:
            return releases.check_name(self.project, self.cleaned_data["name"])
        except releases.ReleaseError as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        both = set(cleaned.get("labeled_states", ())) & set(cleaned.get("reviewed_states", ()))
        if both:
            raise forms.ValidationError(f"A state counts as labelled or reviewed, not both: {', '.join(sorted(both))}.")
        if not cleaned.get("labeled_states") and not cleaned.get("reviewed_states"):
            raise forms.ValidationError("Choose at least one state that counts as labelled or reviewed.")
        return cleaned
