from django.core.management.base import BaseCommand, CommandError

from wangge.cases.services import create_open311_client
from wangge.core.errors import ValidationError
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
            raise CommandError("名称不能为空，且不超过100字")
        node = None
        if area:
            node = Node.objects.filter(code=area).first()
            if node is None:
                raise CommandError(f"没有编码为 {area} 的区划或网格")
        try:
            client, key = create_open311_client(actor=None, name=name, node=node)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        where = f"（限 {node.name}）" if node else ""
        self.stdout.write(f"已为“{client.name}”{where}发放 Open311 密钥（只显示这一次）：")
        self.stdout.write(key)
