"""Creating a project in one step: configuration, owner membership and, optionally, images."""

from pathlib import Path

from django.db import transaction

from labeling.attaching import attach_dataset
from projects.media import ImageRejected, add_image, clean_name, inspect_image
from projects.models import Dataset, LabelConfiguration, Project, ProjectMember
from rules import configuration as config


class ProjectRejected(ValueError):
    """The project cannot be created as asked; ``errors`` lists every reason."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


def image_files(directory):
    """The files of `directory` in name order (sub-folders and hidden files are skipped)."""
    return sorted(p for p in Path(directory).iterdir() if p.is_file() and not p.name.startswith("."))


def create_project(name, configuration=None, owner=None, images_dir=None, short_description="", description=""):
    """Create a project with a validated configuration; all checks run before anything is written."""
    errors = []
    name = (name or "").strip()
    if not name:
        errors.append("The project needs a name.")
    elif Project.objects.filter(name=name).exists():
        errors.append(f"A project named `{name}` already exists.")
    try:
        normalised = config.parse(configuration if configuration is not None else {"entries": []})
    except config.ConfigurationError as error:
        errors.extend(error.errors)
    files = []
    if images_dir is not None:
        if not Path(images_dir).is_dir():
            errors.append(f"`{images_dir}` is not a folder.")
        else:
            files = image_files(images_dir)
            for path in files:
                try:
                    clean_name(path.name)
                    with path.open("rb") as handle:
                        inspect_image(handle, path.name)
                except ImageRejected as error:
                    errors.append(str(error))
    if errors:
        raise ProjectRejected(errors)
    with transaction.atomic():
        project = Project.objects.create(
            name=name, short_description=short_description, description=description, created_by=owner
        )
        LabelConfiguration.objects.create(project=project, data=normalised)
        if owner is not None:
            ProjectMember.objects.create(project=project, user=owner, role=ProjectMember.Role.ADMIN)
        if files:
            dataset = Dataset.objects.create(name=_free_dataset_name(name), created_by=owner)
            for path in files:
                with path.open("rb") as handle:
                    add_image(dataset, handle, path.name)
            attach_dataset(project, dataset)
    return project


def _free_dataset_name(base):
    name, n = base, 1
    while Dataset.objects.filter(name=name).exists():
        n += 1
        name = f"{base} ({n})"
    return name
