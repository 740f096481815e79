"""`next_changed_since`: a time a client can poll from next without missing any change.

Content stamps are ``statement_timestamp()`` inside the writing transaction
(``syncapp.sync.changes``), so a change that is not committed yet carries a stamp no older
than its transaction's start. The watermark is the older of "now" and the start of the
oldest transaction that has written something and not committed: every change committed
later is stamped at or after it. (All processes use one database role, so
pg_stat_activity shows their transactions.)
"""

from datetime import datetime

from django.db import connection


def changes_watermark() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT LEAST(statement_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()))"
        )
        return cursor.fetchone()[0]
