"""Which step comes next when the campaign file may have changed since enrolment.

Campaign files are versioned and edited while leads are mid-campaign, so an enrolment
remembers the *ids* of the steps it has handled (sent or skipped), never positions. A lead
moves on from the furthest of those steps (in the current file's order) that still exists:

* a removed step is never re-sent (its id stays in `steps_done`, it is just not found);
* a step inserted before the lead's position is not sent to it: the lead never goes back;
* a renamed step is a new step: sent if it lies ahead of the lead, skipped if behind;
* if none of the handled steps exists any more, the lead starts from the first step it
  has not handled.
"""

from __future__ import annotations

from collections.abc import Sequence


def next_step(step_ids: Sequence[str], steps_done: Sequence[str]) -> str | None:
    """The id of the next step to handle, or None when the lead has finished."""
    done = set(steps_done)
    positions = [index for index, step_id in enumerate(step_ids) if step_id in done]
    start = max(positions) + 1 if positions else 0
    return next((step_id for step_id in step_ids[start:] if step_id not in done), None)
