"""`manage.py create_release`: build a release in this process, without a broker, and copy its files out."""

import shutil

from django.core.management.base import BaseCommand, CommandError

from exports import releases
from exports.management import arguments
from exports.models import Release
from formats import segments
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
        outputs = {name: arguments.output_file(name, options[name]) for name in ("out", "coco") if options[name]}
        base_url = arguments.base_url(options["base_url"])
        release = self.create(
            options["project_id"],
            name=options["name"],
            description=options["description"],
            labeled_states=arguments.task_states(options["labeled_states"]),
            reviewed_states=arguments.task_states(options["reviewed_states"]),
            task_type=options["task_type"],
            base_url=base_url,
        )
        self.stdout.write(
            f"Release {release.name} (#{release.pk}): {release.sample_count} sample(s), {release.labeled_count} "
            f"labelled, {release.reviewed_count} reviewed, {release.annotation_count} annotation(s)."
        )
        files = {"out": release.file, "coco": release.coco_file}
        for option, path in outputs.items():
            shutil.copyfile(releases.media_path(files[option]), path)
            self.stdout.write(f"Wrote {path}.")

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
