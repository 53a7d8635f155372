from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common.varnish_rules import render

DEFAULT = Path(settings.BASE_DIR) / "varnish" / "site_rules.vcl"


class Command(BaseCommand):
    help = (
        "Write the shared cache's rules (body limits, public pages and the query "
        "parameters each reads) from the site's settings and URL patterns to "
        "varnish/site_rules.vcl, which varnish/default.vcl includes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(DEFAULT),
                            help="where to write them; - for standard output [%(default)s]")
        parser.add_argument("--check", action="store_true",
                            help="write nothing; fail if the file is out of date")

    def handle(self, output, check, **options):
        rules = render()
        if output == "-":
            self.stdout.write(rules, ending="")
            return
        path = Path(output)
        if check:
            if not path.exists() or path.read_text() != rules:
                raise CommandError(f"{path} is out of date: run manage.py varnish_rules")
            return
        path.write_text(rules)
        self.stdout.write(f"Wrote {path}")
