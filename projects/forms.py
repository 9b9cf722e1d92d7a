"""Forms of the project pages; configuration text is checked by rules.configuration."""

from django import forms

from formats import jsonio
from projects import unique_names
from projects.models import Dataset, Project
from projects.names import validate_visible
from rules import configuration as config


def parse_configuration_text(text):
    """Parse the JSON text of a configuration; raise ValidationError listing every problem."""
    try:
        data = jsonio.loads(text or '{"entries": []}')
    except jsonio.JSONDecodeError as error:
        raise forms.ValidationError(f"This is not valid JSON: {error}") from error
    try:
        config.parse(data)
    except config.ConfigurationError as error:
        raise forms.ValidationError(error.errors) from error
    return data


class ProjectForm(forms.ModelForm):
    configuration = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10, "class": "code"}),
        required=False,
        help_text="Optional: Labelyard configuration JSON or a DataGym label-config upload body.",
    )

    class Meta:
        model = Project
        fields = ["name", "short_description", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        return _unique_project_name(self.cleaned_data["name"], self.user, self.user)

    def clean_configuration(self):
        return parse_configuration_text(self.cleaned_data["configuration"])


class ProjectEditForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "short_description", "description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        # The name is the owner's (the creator's), whoever of the project's admins renames it.
        return _unique_project_name(self.cleaned_data["name"], self.instance.created_by, self.user, self.instance)


def _unique_project_name(name, owner, acting, project=None):
    message = unique_names.check(Project, name, owner, acting=acting, exclude=project)
    if message is not None:
        raise forms.ValidationError(message)
    return name


class DeleteProjectForm(forms.Form):
    name = forms.CharField(label="Type the project's name to confirm")

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_name(self):
        if self.cleaned_data["name"].strip() != self.project.name:
            raise forms.ValidationError("The name does not match; nothing was deleted.")
        return self.cleaned_data["name"]


class ConfigurationForm(forms.Form):
    configuration = forms.CharField(widget=forms.Textarea(attrs={"rows": 24, "class": "code"}))
    confirm = forms.BooleanField(required=False, label="Yes, delete the labels this change removes")

    def clean_configuration(self):
        return parse_configuration_text(self.cleaned_data["configuration"])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(f, initial) for f in files if f]
        if not files:
            raise forms.ValidationError("Choose at least one image.")
        return files


class UploadImagesForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), required=False, empty_label="New dataset")
    new_dataset_name = forms.CharField(max_length=128, required=False, validators=[validate_visible])
    images = MultipleFileField()

    def __init__(self, *args, project, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = project.datasets.all()
        self.user = user

    def clean(self):
        cleaned = super().clean()
        name = (cleaned.get("new_dataset_name") or "").strip()
        if not cleaned.get("dataset") and "new_dataset_name" not in self.errors:
            if not name:
                self.add_error("new_dataset_name", "Name the new dataset or choose an existing one.")
            elif message := unique_names.check(Dataset, name, self.user, acting=self.user):
                self.add_error("new_dataset_name", message)
        return cleaned


class DatasetForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = ["name", "short_description"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        name = self.cleaned_data["name"]
        message = unique_names.check(Dataset, name, self.user, acting=self.user)
        if message is not None:
            raise forms.ValidationError(message)
        return name


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="What the token is for, e.g. the script or machine using it.")


class BucketSourceForm(forms.Form):
    """Connect a bucket to a dataset (projects/buckets.py checks the settings). The secret is never
    put back into the page; "the server's credentials" is offered to superusers only."""

    endpoint_url = forms.CharField(
        label="Endpoint URL", required=False, help_text="An S3-compatible server; empty for AWS S3."
    )
    bucket = forms.CharField()
    prefix = forms.CharField(required=False, strip=False, help_text="Only keys starting with it; empty for all.")
    region = forms.CharField(required=False, help_text="Like eu-central-1; empty for the default.")
    access_key_id = forms.CharField(label="Access key id", required=False)
    secret_access_key = forms.CharField(
        label="Secret access key", required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )
    use_server_credentials = forms.BooleanField(label="Use the server's credentials", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_superuser:
            del self.fields["use_server_credentials"]

    def show_errors(self, errors):
        """Put SourceRejected's errors (field -> messages) on the form."""
        for field, messages in errors.items():
            self.add_error(field if field in self.fields else None, messages)


class BucketCredentialsForm(forms.Form):
    """New credentials, endpoint or region for a connected bucket; a blank secret keeps the stored one."""

    endpoint_url = forms.CharField(label="Endpoint URL", required=False)
    region = forms.CharField(required=False)
    access_key_id = forms.CharField(label="Access key id", required=False)
    secret_access_key = forms.CharField(
        label="New secret access key", required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )
