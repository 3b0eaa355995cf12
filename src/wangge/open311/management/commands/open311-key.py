from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext, pgettext

from wangge.core.errors import ValidationError
from wangge.open311.services import create_open311_client
from wangge.territory.models import Node


class Command(BaseCommand):
    help = (
        "Issue an Open311 api_key to an application (a city app, a hotline bridge). The key is "
        "printed once and stored hashed; --area limits the client to a division or grid. "
        "Switch a client off in the admin (Open311 clients)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who the key is for, e.g. 市民通App.")
        parser.add_argument("--area", help="Code of the division or grid it may report in.")

    def handle(self, *args, name, area=None, **options):
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError(gettext("The name may not be empty, nor longer than 100 characters"))
        node = None
        if area:
            node = Node.objects.filter(code=area).first()
            if node is None:
                raise CommandError(
                    gettext("There is no division or grid with code %(code)s") % {"code": area}
                )
        try:
            client, key = create_open311_client(actor=None, name=name, node=node)
        except ValidationError as exc:
            raise CommandError(pgettext("list separator", "; ").join(exc.messages)) from exc
        if node:
            said = gettext(
                "Open311 key issued to “%(name)s” (for %(place)s only), shown this once:"
            ) % {"name": client.name, "place": node.name}
        else:
            said = gettext("Open311 key issued to “%(name)s”, shown this once:") % {
                "name": client.name
            }
        self.stdout.write(said)
        self.stdout.write(key)
