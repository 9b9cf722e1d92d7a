"""`manage.py export_labels`: write a project's DataGym JSON (and masks) in this process, without a broker.

The job's files are read through the storage (projects/stored.py), local or a bucket, and written
to the paths the user names.
"""

from pathlib import Path, PurePosixPath

from django.core.management.base import BaseCommand, CommandError

from exports import build
from exports.management import arguments
from exports.models import ExportJob
from labeling.states import DONE_STATES, State
from projects import stored
from projects.models import Project


class Command(BaseCommand):
    help = "Export a project's labels as DataGym JSON, and optionally its segmentation masks, without a worker."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("--out", required=True, help="Where to write the JSON file.")
        parser.add_argument("--masks", help="Folder to write masks into (<media id>/<class>.png).")
        parser.add_argument(
            "--states",
            default=",".join(DONE_STATES),
            help=f"Comma-separated task states to include (default: {','.join(DONE_STATES)}).",
        )
        parser.add_argument(
            "--base-url", default="http://localhost:8000", help="Scheme and host of the mask URLs in the JSON."
        )

    def handle(self, *args, **options):
        states = arguments.task_states(options["states"])
        if not states:
            raise CommandError(f"Give at least one task state; use {', '.join(State.values)}.")
        out = arguments.output_file("out", options["out"])
        masks = None if options["masks"] is None else Path(options["masks"])
        if masks is not None and masks.exists() and not masks.is_dir():
            raise CommandError(f"--masks {masks} is a file; give a folder for the masks.")
        base_url = arguments.base_url(options["base_url"])
        job = self.export(options["project_id"], states, masks is not None, base_url)
        storage = stored.job_storage()
        with out.open("wb") as stream:
            stored.copy_into(storage, job.file, stream)
        self.stdout.write(f"Wrote {job.task_count} task(s) to {out}.")
        if masks is not None:
            masks.mkdir(parents=True, exist_ok=True)
            # A reused export's masks are those of the job that built its files; a project without
            # segmentation classes, or without tasks in these states, has none.
            source = PurePosixPath(job.file).parent / "masks"
            for name, png in stored.read_many(storage, [source / n for n in stored.walk(storage, source)]):
                target = masks / name.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(png)
            self.stdout.write(f"Wrote masks to {masks}.")

    def export(self, project_id, states, masks, base_url):
        """Create and run an export job inline; returns the finished job or raises CommandError."""
        project = Project.objects.filter(pk=project_id).first()
        if project is None:
            raise CommandError(f"There is no project {project_id}.")
        options = build.normalise_options(states, masks)
        job = ExportJob.objects.create(project=project, options=options, base_url=base_url, revision=project.revision)
        build.build_export(job.pk, render=build.render_inline)
        job.refresh_from_db()
        if job.state != ExportJob.State.DONE:
            raise CommandError(f"The export failed: {job.error or job.state}")
        return job
