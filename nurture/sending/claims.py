"""The message row's state machine, as conditional updates.

Every transition names the state it leaves, so a message delivered twice by the broker,
or handled by two threads at once, moves at most once: the loser's update matches no row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from nurture.models import Message


def _move(
    session: Session | Connection, message_id: int, from_status: str, **values: object
) -> bool:
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def release(
    session: Session,
    message_id: int,
    wall_now: datetime,
    *,
    retry_at: datetime | None,
    error: str | None = None,
) -> bool:
    """Back to `queued`: nothing was handed to the SMTP server."""
    return _move(
        session,
        message_id,
        "sending",
        status="queued",
        enqueued_at=retry_at,
        last_error=error,
        updated_at=wall_now,
    )


def unclaim(session: Session | Connection, message_id: int, **values: object) -> bool:
    """Back to `queued` as if never claimed: nothing was handed to the SMTP server, and
    the attempt was not the message's fault (an error of nurture's own). `values` are
    more columns to set."""
    return _move(
        session, message_id, "sending", status="queued", attempts=Message.attempts - 1, **values
    )


def unclaim_all(connection: Connection, message_ids: list[int]) -> None:
    """`unclaim` for each row; only rows still `sending` move, so pass only ids this
    worker claimed (another's live claim must not be released)."""
    for message_id in message_ids:
        unclaim(connection, message_id)


def hold(
    session: Session | Connection,
    message_id: int,
    wall_now: datetime,
    *,
    retry_at: datetime,
    error: str,
) -> bool:
    """Unclaimed until `retry_at`: the message could not even be composed, for a reason
    that is not its own (its campaign file is missing or broken on this machine), and
    goes out once that is mended."""
    return unclaim(session, message_id, enqueued_at=retry_at, last_error=error, updated_at=wall_now)


def finish(
    session: Session | Connection,
    message_id: int,
    status: str,
    wall_now: datetime,
    *,
    error: str | None = None,
    response: str | None = None,
) -> bool:
    values: dict[str, object] = {"status": status, "updated_at": wall_now}
    if error is not None:
        values["last_error"] = error
    if response is not None:
        values["smtp_response"] = response
    if status == "sent":
        values["sent_at"] = wall_now
    return _move(session, message_id, "sending", **values)
