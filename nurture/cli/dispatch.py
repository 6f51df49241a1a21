"""Work a command hands on after its commit: mail, score updates, hand-off deliveries and
erasure notices.

With Redis they go to the workers. With the embedded broker they are done here and now:
that broker's queue lives in this process's memory and would die with the command (the
scheduler's pass would catch up later, but a person typing a command expects its effect).
Mail is the exception: the scheduler sends it, so it is handed to the very next pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from nurture.db import unit_of_work
from nurture.engine.recovery import forget_enqueue
from nurture.runtime import Runtime


def send_mail(rt: Runtime, message_ids: Sequence[int]) -> None:
    """Queued message rows: to the workers, or (embedded) marked for the next pass, which
    would otherwise wait `NURTURE_REQUEUE_AFTER` for an enqueue that went nowhere."""
    if rt.settings.redis_url:
        rt.actors.enqueue(message_ids)
        return
    if message_ids:
        with unit_of_work(rt.sessions) as session:
            forget_enqueue(session, list(message_ids))


def rescore(rt: Runtime, lead_ids: Sequence[int]) -> None:
    if rt.settings.redis_url:
        rt.actors.enqueue_score_updates(lead_ids)
        return
    # An invalid scoring.yaml is logged by the updater; the scheduler catches up once fixed.
    replace(rt.scorer, deliver=lambda ids: deliver(rt, ids)).update(lead_ids)


def deliver(rt: Runtime, delivery_ids: Sequence[int]) -> None:
    """One attempt each when embedded; a failure stays pending for the scheduler's retry."""
    if rt.settings.redis_url:
        rt.actors.enqueue_deliveries(delivery_ids)
        return
    for delivery_id in delivery_ids:
        rt.handoff_deliverer.deliver(delivery_id)


def notify_erasure(rt: Runtime, notice_ids: Sequence[int]) -> None:
    """Art. 19 notices of an erasure: one attempt each when embedded, like deliveries."""
    if rt.settings.redis_url:
        rt.actors.enqueue_erasure_notices(notice_ids)
        return
    for notice_id in notice_ids:
        rt.erasure_notifier.deliver(notice_id)
