"""The importer's writer threads: work in order, errors surface in the caller's thread."""

from __future__ import annotations

import threading

import pytest

from nurture.leads.pipeline import Pipeline


def test_items_are_worked_in_order_on_another_thread() -> None:
    """Every item, in order, on one thread that is not the caller's."""
    seen: list[tuple[int, str]] = []
    with Pipeline[int](lambda item: seen.append((item, threading.current_thread().name))) as work:
        for item in range(5):
            work.put(item)
    assert [item for item, _ in seen] == [0, 1, 2, 3, 4]
    assert {name for _, name in seen} == {"import-writer"}


def test_a_writer_error_is_raised_to_the_caller_and_stops_the_work() -> None:
    """After a failure nothing more is written, and the error reaches the caller."""
    done: list[int] = []

    def work(item: int) -> None:
        if item == 1:
            raise ValueError("database said no")
        done.append(item)

    def feed() -> None:
        with Pipeline[int](work) as pipeline:
            for item in range(50):
                pipeline.put(item)

    with pytest.raises(ValueError, match="database said no"):
        feed()
    assert done == [0]


def test_the_callers_own_error_wins() -> None:
    """A failure while reading stops the writer and is what the caller sees."""

    def feed() -> None:
        with Pipeline[int](lambda item: None) as pipeline:
            pipeline.put(1)
            raise KeyError("bad row")

    with pytest.raises(KeyError):
        feed()


def test_several_writers_share_the_items_each_worked_once() -> None:
    """Two writers, one queue: every item is worked exactly once, and both take items."""
    seen: list[tuple[int, str]] = []
    both_started = threading.Barrier(2, timeout=10)

    def work(item: int) -> None:
        if item < 2:  # each thread's first item waits for the other's: both are in use
            both_started.wait()
        seen.append((item, threading.current_thread().name))

    with Pipeline[int](work, work) as pipeline:
        for item in range(50):
            pipeline.put(item)

    assert sorted(item for item, _ in seen) == list(range(50))
    assert {name for _, name in seen} == {"import-writer", "import-writer-2"}


def test_with_several_writers_the_first_error_reaches_the_caller() -> None:
    def fail(item: int) -> None:
        raise ValueError(f"writer failed on {item}")

    def feed() -> None:
        with Pipeline[int](fail, fail) as pipeline:
            for item in range(10):
                pipeline.put(item)

    with pytest.raises(ValueError, match="writer failed on"):
        feed()


def test_after_the_callers_failure_the_queued_items_are_not_worked() -> None:
    """An interrupted import stops writing: what was queued is dropped, not written."""
    done: list[int] = []
    busy = threading.Event()

    def work(item: int) -> None:
        busy.set()
        if item == 0:
            threading.Event().wait(0.5)  # the caller fails meanwhile
        done.append(item)

    def feed() -> None:
        with Pipeline[int](work) as pipeline:
            pipeline.put(0)
            busy.wait(10)
            pipeline.put(1)
            pipeline.put(2)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        feed()
    assert done == [0]
