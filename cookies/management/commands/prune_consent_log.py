from django.core.management.base import BaseCommand, CommandError

from cookies import consent_log


class Command(BaseCommand):
    help = "Delete consent log entries older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days (default: settings.COOKIE_CONSENT_LOG_RETENTION_DAYS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, days, dry_run, **options):
        try:
            count, days = consent_log.prune(days, dry_run=dry_run)
        except ValueError:
            raise CommandError("--days must be at least 1.") from None
        entries = f"{count} consent log entries older than {days} days"
        self.stdout.write(f"{entries} would be deleted." if dry_run else f"Deleted {entries}.")
