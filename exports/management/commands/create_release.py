"""`manage.py create_release`: build a release in this process, without a broker, and copy its files out."""

import shutil
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import URLValidator

from exports import releases
from exports.formats import segments
from exports.models import Release
from labeling.states import State
from projects.models import Project


class Command(BaseCommand):
    help = "Create a release of a project's labels (Segments.ai release file and COCO) without a worker."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("--name", required=True, help="Release name, unique in the project (e.g. v1.0).")
        parser.add_argument("--description", default="")
        parser.add_argument(
            "--task-type",
            choices=segments.TASK_TYPES,
            help="Default: segmentation-bitmap when the configuration has segmentation classes, else vector.",
        )
        parser.add_argument("--labeled-states", default=",".join(releases.DEFAULT_LABELED))
        parser.add_argument("--reviewed-states", default=",".join(releases.DEFAULT_REVIEWED))
        parser.add_argument("--out", help="Where to copy the release file.")
        parser.add_argument("--coco", help="Where to copy the COCO file.")
        parser.add_argument(
            "--base-url", default="http://localhost:8000", help="Scheme and host of the image and bitmap URLs."
        )

    def handle(self, *args, **options):
        # Mistakes in the arguments are reported before the release is made (its name is then taken).
        for option in ("out", "coco"):
            if options[option]:
                path = Path(options[option])
                if path.is_dir():
                    raise CommandError(f"--{option} {path} is a folder; give the file's name.")
                if not path.parent.is_dir():
                    raise CommandError(f"--{option} {path}: the folder {path.parent} does not exist.")
        try:
            URLValidator(schemes=["http", "https"])(options["base_url"])
        except ValidationError as error:
            raise CommandError(f"--base-url {options['base_url']!r} is not an http(s) URL.") from error
        release = self.create(
            options["project_id"],
            name=options["name"],
            description=options["description"],
            labeled_states=_states(options["labeled_states"]),
            reviewed_states=_states(options["reviewed_states"]),
            task_type=options["task_type"],
            base_url=options["base_url"],
        )
        self.stdout.write(
            f"Release {release.name} (#{release.pk}): {release.sample_count} sample(s), {release.labeled_count} "
            f"labelled, {release.reviewed_count} reviewed, {release.annotation_count} annotation(s)."
        )
        for option, name in (("out", release.file), ("coco", release.coco_file)):
            if options[option]:
                shutil.copyfile(releases.media_path(name), options[option])
                self.stdout.write(f"Wrote {options[option]}.")

    def create(self, project_id, *, name, description, labeled_states, reviewed_states, task_type, base_url):
        """Create and build a release inline; returns the finished release or raises CommandError."""
        project = Project.objects.select_related("label_configuration").filter(pk=project_id).first()
        if project is None:
            raise CommandError(f"There is no project {project_id}.")
        if not labeled_states and not reviewed_states:
            raise CommandError("Give at least one state that counts as labelled or reviewed.")
        try:
            release = releases.create_release(
                project,
                None,
                name=name,
                description=description,
                labeled_states=labeled_states,
                reviewed_states=reviewed_states,
                task_type=task_type or releases.default_task_type(project),
                base_url=base_url,
                dispatch=False,
            )
        except releases.ReleaseError as error:
            raise CommandError(str(error)) from error
        releases.build_release(release.pk, render=releases.render_inline)
        release.refresh_from_db()
        if release.state != Release.State.DONE:
            raise CommandError(f"The release failed: {release.error or release.state}")
        return release


def _states(text):
    states = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(states) - set(State.values))
    if unknown:
        raise CommandError(f"Unknown task state(s) {', '.join(unknown)}; use {', '.join(State.values)}.")
    return states
