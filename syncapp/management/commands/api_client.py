"""`manage.py api_client create|list|revoke|rotate`: the API's clients from the shell.

`create` and `rotate` print the new key once, alone on the last line, so a script can take it
with `tail -n 1`; only its SHA-256 digest is stored.
"""

from django.core.management.base import BaseCommand, CommandError

from syncapp.api.clients import (
    ApiClientError,
    create_api_client,
    find_api_client,
    revoke_api_client,
    rotate_api_client_key,
)
from syncapp.audit import command_actor
from syncapp.management.command_errors import database_errors_as_command_error
from syncapp.models import ApiClient


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"


class Command(BaseCommand):
    help = "Create, list, revoke or re-key the API's clients (keys for /api/v2 and the v1 login)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        create = actions.add_parser("create", help="Create a client; prints its key once, on the last line.")
        create.add_argument("name", help="Letters, digits, '.', '_', '-'; the v1 login's client_id.")
        create.add_argument("--scopes", default="read", help="Comma-separated: read, sync (default: read).")
        actions.add_parser("list", help="List the clients (never their keys).")
        revoke = actions.add_parser("revoke", help="Revoke a client: its key and tokens stop working at once.")
        revoke.add_argument("name")
        rotate = actions.add_parser("rotate", help="Give a client a new key (the old one stops working).")
        rotate.add_argument("name")

    def handle(self, *args, action, **options):
        with database_errors_as_command_error():
            try:
                getattr(self, f"_{action}")(**options)
            except ApiClientError as error:
                raise CommandError(str(error)) from None

    def _create(self, *, name, scopes, **_):
        issued = create_api_client(name=name, scopes=scopes, actor=command_actor("api_client"))
        self.stdout.write(f"Created API client {issued.client.name} (scopes: {', '.join(issued.client.scopes)}). "
                          "Its key is shown once, below; store it now:")
        self.stdout.write(issued.key)

    def _rotate(self, *, name, **_):
        issued = rotate_api_client_key(find_api_client(name), actor=command_actor("api_client"))
        self.stdout.write(f"New key for API client {issued.client.name}; the old key no longer works. "
                          "Shown once, below:")
        self.stdout.write(issued.key)

    def _revoke(self, *, name, **_):
        client = find_api_client(name)
        if revoke_api_client(client, actor=command_actor("api_client")):
            self.stdout.write(f"Revoked API client {client.name}: its key and tokens no longer work.")
        else:
            self.stdout.write(f"API client {client.name} was already revoked.")

    def _list(self, **_):
        clients = list(ApiClient.objects.select_related("created_by").order_by("name"))
        if not clients:
            self.stdout.write("No API clients. Create one: manage.py api_client create NAME --scopes read,sync")
            return
        header = f"{'name':<24} {'scopes':<10} {'active':<6} {'key':<14} {'created':<16} {'last used':<16} created by"
        self.stdout.write(header)
        for c in clients:
            self.stdout.write(
                f"{c.name:<24} {','.join(c.scopes):<10} {'yes' if c.active else 'no':<6} {c.key_prefix + '…':<14} "
                f"{_when(c.created_at):<16} {_when(c.last_used_at):<16} {c.created_by or '-'}"
            )
