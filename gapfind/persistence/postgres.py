"""PostgreSQL connections that never wait for an answer forever.

A server that is stopped rather than down (a frozen process or VM, a host under swap death)
keeps its TCP connections open: its kernel accepts connections and acknowledges whatever is sent,
so neither TCP keepalives nor `tcp_user_timeout` ever fire, and the server-side
`statement_timeout` cannot fire either, since the server is what is frozen. psycopg then waits
for the reply without a deadline, on every path: a query, the pool's pre-ping on checkout, the
pool's rollback when a connection is returned, a commit.

`BoundedConnection` gives every such wait a deadline (psycopg's own `Connection.wait` already
takes a `timeout`; psycopg just never passes one on these paths). A wait that reaches it closes
the connection, whose state is unknown with a query in flight (psycopg does the same when a
cancelled query does not end, psycopg#1371), and raises OperationalError: SQLAlchemy sees a
closed connection, treats it as a disconnect and drops it from the pool, and the API answers
503. Connecting is bounded by libpq's `connect_timeout`, which psycopg enforces itself.

This module imports psycopg, so it is imported only when DATABASE_URL names PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import errors

# What psycopg raises when a wait's timeout expires; internal to psycopg, hence the fence test
# (tests/integration/test_frozen_postgres.py runs stock psycopg beside this class).
_WAIT_TIMEOUT: type[Exception] = errors._WaitTimeout
# psycopg's default polling interval (psycopg.connection._WAIT_INTERVAL): how often a wait wakes
# up to notice a signal; not a deadline.
_WAIT_INTERVAL = 0.1


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose waits for the server end after `reply_timeout` seconds."""

    #: Seconds to wait for any reply; None waits as long as psycopg does (forever).
    reply_timeout: float | None = None

    def wait(self, gen: Any, interval: float = _WAIT_INTERVAL, timeout: float | None = None) -> Any:
        """psycopg's wait, bounded by `reply_timeout` when the caller sets no timeout of its own
        (a caller that does, such as `notifies()`, handles its own expiry)."""
        if timeout is not None or self.reply_timeout is None:
            return super().wait(gen, interval=interval, timeout=timeout)
        try:
            return super().wait(gen, interval=interval, timeout=self.reply_timeout)
        except _WAIT_TIMEOUT:
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database server sent no reply within {self.reply_timeout:g} s;"
                " connection closed"
            ) from None
