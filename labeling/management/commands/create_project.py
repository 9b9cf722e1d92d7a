"""`manage.py create_project`: create a project from a configuration file, optionally with images."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from formats import jsonio
from labeling.creation import ProjectRejected, create_project


class Command(BaseCommand):
    help = "Create a project from a label configuration (Labelyard JSON or DataGym body); prints its id."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--config", required=True, help="configuration JSON file")
        parser.add_argument("--images", help="folder of images to upload into a new dataset")
        parser.add_argument("--owner", help="user name of the project's admin")
        parser.add_argument("--description", default="")

    def handle(self, *args, **options):
        try:
            configuration = jsonio.loads(Path(options["config"]).read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read {options['config']}: {error.strerror}") from error
        except jsonio.JSONDecodeError as error:
            raise CommandError(f"{options['config']} is not valid JSON: {error}") from error
        owner = None
        if options["owner"]:
            owner = get_user_model().objects.filter(username=options["owner"]).first()
            if owner is None:
                raise CommandError(f"There is no user named {options['owner']}.")
        try:
            project = create_project(
                options["name"],
                configuration,
                owner=owner,
                images_dir=options["images"],
                description=options["description"],
            )
        except ProjectRejected as error:
            raise CommandError("\n".join(error.errors)) from error
        self.stdout.write(str(project.pk))
