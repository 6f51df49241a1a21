"""Imported by `dramatiq nurture.worker_main`: builds the runtime and declares the actors."""

from __future__ import annotations

import dramatiq

from nurture.runtime import runtime_from_env

runtime = runtime_from_env()
dramatiq.set_broker(runtime.broker)
actors = runtime.actors
