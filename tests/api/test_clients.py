"""API clients from the shell (`manage.py api_client`) and in the admin (key shown once)."""

import re

import pytest
from django.contrib.auth.models import User

from syncapp.models import ApiClient

from ..conftest import manage


def test_the_command_creates_lists_rotates_and_revokes(process_env, http):
    created = manage("api_client", "create", "odoo-prod", "--scopes", "read,sync", env=process_env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"lsk_[A-Za-z0-9_-]{43}", key)
    assert http(key).get("/api/v2/directories").status_code == 200

    listed = manage("api_client", "list", env=process_env)
    assert "odoo-prod" in listed.stdout and "read,sync" in listed.stdout and key not in listed.stdout

    rotated = manage("api_client", "rotate", "odoo-prod", env=process_env)
    new_key = rotated.stdout.strip().splitlines()[-1]
    assert new_key != key and http(key).get("/api/v2/directories").status_code == 401
    assert http(new_key).get("/api/v2/directories").status_code == 200

    revoked = manage("api_client", "revoke", "odoo-prod", env=process_env)
    assert revoked.returncode == 0 and "Revoked API client odoo-prod" in revoked.stdout
    assert http(new_key).get("/api/v2/directories").status_code == 401
    assert "already revoked" in manage("api_client", "revoke", "odoo-prod", env=process_env).stdout


@pytest.mark.parametrize("args, message", [
    (("create", "bad name!"), "invalid client name"),
    (("create", "x", "--scopes", "read,admin"), "unknown scope(s) admin"),
    (("create", "x", "--scopes", ""), "give at least one scope"),
    (("revoke", "nobody"), "no API client named 'nobody'"),
])
def test_bad_arguments_end_in_one_line_and_change_nothing(process_env, args, message):
    result = manage("api_client", *args, env=process_env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("CommandError: ") and message in result.stderr
    assert not ApiClient.objects.exists()


def test_a_duplicate_name_is_refused(process_env):
    assert manage("api_client", "create", "erp", env=process_env).returncode == 0
    again = manage("api_client", "create", "erp", env=process_env)
    assert again.returncode == 1 and "already exists" in again.stderr
    assert ApiClient.objects.count() == 1


def test_the_admin_shows_the_key_once_and_revokes(transactional_db, client, http):
    staff = User.objects.create_superuser("boss", password="pw")
    client.force_login(staff)
    page = client.post("/admin/syncapp/apiclient/add/", {"name": "odoo", "scopes": ["read"]})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    key = re.search(r'<code id="api-key"[^>]*>([^<]+)</code>', page.content.decode()).group(1)
    row = ApiClient.objects.get(name="odoo")
    assert row.created_by == staff and row.scopes == ["read"] and key.startswith(row.key_prefix)
    assert http(key).get("/api/v2/directories").status_code == 200
    assert key not in client.get(f"/admin/syncapp/apiclient/{row.pk}/change/").content.decode()

    bad = client.post("/admin/syncapp/apiclient/add/", {"name": "no spaces allowed", "scopes": ["read"]})
    assert bad.status_code == 200 and b"letters, digits" in bad.content and ApiClient.objects.count() == 1

    client.post("/admin/syncapp/apiclient/", {"action": "revoke_selected", "_selected_action": [row.pk]})
    assert http(key).get("/api/v2/directories").status_code == 401
