"""``manage.py create_api_token USERNAME [--name NAME]``: print a new API token for a user."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from projects.tokens import create_token


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="Command line", help="A name to recognise the token by.")

    def handle(self, *args, **options):
        self.stdout.write(self.create_user_token(options["username"], options["name"]))

    def create_user_token(self, username, name):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Cannot create the token: there is no user named {username}.")
        if not user.is_active:
            raise CommandError(f"Cannot create the token: {username} is not active.")
        return create_token(user, name)[1]
