from __future__ import annotations

import pytest

from nurture.scheduling.steps import next_step


@pytest.mark.parametrize(
    ("file_steps", "done", "expected"),
    [
        pytest.param("a b c", "", "a", id="fresh enrolment: first step"),
        pytest.param("a b c", "a", "b", id="unchanged file: next in order"),
        pytest.param("a b c", "a b c", None, id="all done: finished"),
        pytest.param("a x b c", "a b", "c", id="insert before position: not sent"),
        pytest.param("a b x c", "a b", "x", id="insert right after position: sent"),
        pytest.param("a b c x", "a b c", "x", id="append after finishing: sent"),
        pytest.param("a c", "a b", "c", id="last done step removed: continue after a"),
        pytest.param("a b d", "a b", "d", id="next step removed: the one after"),
        pytest.param("x a b c", "a", "b", id="new first step: not sent"),
        pytest.param("b a c", "a", "c", id="reorder: done step moved later, gap not refilled"),
        pytest.param("c a b", "a", "b", id="reorder: step moved before position not sent"),
        pytest.param("b a c", "a b", "c", id="reorder of done steps: resume after furthest"),
        pytest.param("a b2 c", "a b", "b2", id="rename ahead of lead: counts as new"),
        pytest.param("a2 b c", "a b", "c", id="rename behind lead: not re-sent"),
        pytest.param("x y", "a b", "x", id="every done step gone: first not done"),
        pytest.param("x a y", "a x", "y", id="done out of file order: skip done ones"),
        pytest.param("a b c", "a b b", "c", id="duplicate ids in history are harmless"),
    ],
)
def test_next_step(file_steps: str, done: str, expected: str | None) -> None:
    """A lead continues by step id after the furthest handled step that still exists."""
    assert next_step(file_steps.split(), done.split()) == expected


def test_next_step_accepts_tuples() -> None:
    """Enrolment views store steps as tuples; any sequence works."""
    assert next_step(("a", "b"), ("a",)) == "b"
