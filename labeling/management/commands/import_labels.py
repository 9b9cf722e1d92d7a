"""``manage.py import_labels PROJECT_ID FILE``: import a DataGym JSON labels file into a project."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labeling.importing import ImportRejected, check_size, import_labels
from projects.models import Project


class Command(BaseCommand):
    help = "Import a DataGym JSON labels file into a project (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("project_id", type=int)
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")
        parser.add_argument(
            "--match-by-name", action="store_true", help="Find images by external_media_ID (their file name)."
        )
        parser.add_argument("--clip", action="store_true", help="Cut geometries to the image instead of refusing.")

    def handle(self, *args, **options):
        project = Project.objects.select_related("label_configuration").filter(pk=options["project_id"]).first()
        if project is None:
            raise CommandError(f"There is no project {options['project_id']}.")
        path = options["file"]
        if not path.is_file():
            raise CommandError(f"`{path}` is not a file.")
        try:
            check_size(path.stat().st_size)
            summary = import_labels(
                project,
                path.read_bytes(),
                dry_run=options["dry_run"],
                match_by_name=options["match_by_name"],
                clip=options["clip"],
            )
        except ImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(f"{error['path'] or '(file)'}: {error['message']}")
            raise CommandError(f"{len(rejected.errors)} error(s) in {path}; nothing was imported.") from None
        self.stdout.write(str(summary))
