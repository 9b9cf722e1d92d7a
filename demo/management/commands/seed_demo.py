"""`manage.py seed_demo`: demo users and a demo project with generated images. Idempotent."""

from django.core.management.base import BaseCommand

from demo.seeding import seed_demo


class Command(BaseCommand):
    help = "Create the demo admin, labeler, reviewer and demo project if they do not exist yet."

    def handle(self, *args, **options):
        passwords, project, created = seed_demo()
        verb = "Created" if created else "Found"
        self.stdout.write(f"{verb} demo project {project.name!r} (id {project.pk}).")
        for name, password in passwords.items():
            self.stdout.write(f"  log in as {name} / {password}")
