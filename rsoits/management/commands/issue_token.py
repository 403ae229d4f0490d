"""Issue an expiring API token for a (system-client) user; prints the token alone on stdout."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rsoits.models import User
from rsoits.services import token_issue


class Command(BaseCommand):
    help = "Issue an expiring API token for USERNAME. The token is printed once and stored only as a hash."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=None, help="Lifetime in days (default: API_TOKEN_TTL_DAYS).")

    def handle(self, *args, username, days, **options):
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        try:
            _instance, token = token_issue(actor=None, user=user, days=days)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(token)
