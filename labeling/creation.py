"""Creating a project in one step: configuration, owner membership and, optionally, images."""

from pathlib import Path

from django.db import IntegrityError, transaction

from labeling.attaching import attach_dataset
from projects import quotas, unique_names
from projects.media import ImageRejected, add_image, clean_name, inspect_image
from projects.models import Dataset, LabelConfiguration, Project, ProjectMember
from rules import configuration as config
from rules import names


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
    elif names.problem(name):
        errors.append(names.problem(name, "A project name"))
    elif unique_names.taken(Project, name, owner):
        errors.append(unique_names.taken_message(Project, name, owner))
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
    errors.extend(_quota_problems(owner, files))
    if errors:
        raise ProjectRejected(errors)
    with transaction.atomic():
        # Counted again under the owner's lock: parallel requests cannot together pass the limit.
        quotas.lock(owner)
        errors = _quota_problems(owner, [])
        if errors:
            raise ProjectRejected(errors)
        try:
            with transaction.atomic():
                project = Project.objects.create(
                    name=name, short_description=short_description, description=description, created_by=owner
                )
        except IntegrityError as error:
            # A parallel request took the name between the check above and this insert.
            raise ProjectRejected([unique_names.taken_message(Project, name, owner)]) from error
        LabelConfiguration.objects.create(project=project, data=normalised)
        if owner is not None:
            ProjectMember.objects.create(project=project, user=owner, role=ProjectMember.Role.ADMIN)
        if files:
            dataset = Dataset.objects.create(name=unique_names.free_name(Dataset, name, owner), created_by=owner)
            for path in files:
                with path.open("rb") as handle:
                    add_image(dataset, handle, path.name)
            attach_dataset(project, dataset)
    return project


def _quota_problems(owner, files):
    """Sentences for the limits (projects/quotas.py) that creating the project with `files` would pass."""
    problems = []
    try:
        quotas.check_projects(owner)
    except quotas.QuotaExceeded as error:
        problems.append(str(error))
    if files:
        try:
            quotas.check_storage(owner, sum(path.stat().st_size for path in files))
        except quotas.QuotaExceeded as error:
            problems.append(str(error))
    return problems
