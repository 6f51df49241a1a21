"""Tracking's collaborators, built from the settings (the composition root holds one)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property

import redis

from nurture.clock import Clock
from nurture.config import Settings
from nurture.consent.tokens import Tokens
from nurture.db import SessionFactory
from nurture.tracking.background import BackgroundDrainer
from nurture.tracking.buffer import HitBuffer, RedisBuffer
from nurture.tracking.classify import Rules
from nurture.tracking.drain import Drainer, ScoreLeads
from nurture.tracking.links import TrackingLinks
from nurture.tracking.networks import load_networks
from nurture.tracking.policy import TrackingPolicy
from nurture.tracking.recorder import HitRecorder
from nurture.tracking.spool import SpoolBuffer

log = logging.getLogger(__name__)


@dataclass
class TrackingServices:
    settings: Settings
    tokens: Tokens
    sessions: SessionFactory
    clock: Clock
    wall_clock: Clock
    score_leads: ScoreLeads | None = None

    @cached_property
    def links(self) -> TrackingLinks:
        return TrackingLinks(self.settings.base_url, self.tokens)

    @cached_property
    def policy(self) -> TrackingPolicy:
        return TrackingPolicy(self.links, aggregate=self.settings.aggregate_tracking)

    @cached_property
    def spool(self) -> SpoolBuffer:
        s = self.settings
        directory = s.tracking_spool_dir or s.instance_dir / "tracking-spool"
        return SpoolBuffer(directory, fsync_each=s.tracking_fsync)

    @cached_property
    def redis(self) -> redis.Redis | None:
        if not self.settings.redis_url:
            return None
        # Short timeouts: a hung Redis must not hang a click; the hit is spooled instead.
        return redis.Redis.from_url(
            self.settings.redis_url, socket_timeout=2, socket_connect_timeout=2
        )

    @cached_property
    def buffers(self) -> list[HitBuffer]:
        """The first receives hits; all are drained, in order: with the Redis stream, the
        spool still holds what Redis refused (and either holds what was buffered before
        the setting changed)."""
        if self.redis is None:
            return [self.spool]
        stream = RedisBuffer(self.redis, self.settings.redis_namespace, self.spool)
        if self.settings.tracking_buffer == "redis":
            return [stream, self.spool]
        return [self.spool, stream]

    @cached_property
    def recorder(self) -> HitRecorder:
        return HitRecorder(self.tokens, self.buffers[0], self.clock, self.wall_clock)

    @cached_property
    def rules(self) -> Rules:
        return Rules(
            scanner_click_seconds=self.settings.scanner_click_seconds,
            networks=load_networks(),
        )

    @cached_property
    def drainer(self) -> Drainer:
        return Drainer(
            sessions=self.sessions,
            buffers=self.buffers,
            rules=self.rules,
            aggregate=self.settings.aggregate_tracking,
            score_leads=self.score_leads,
            wall_clock=self.wall_clock,
        )

    @cached_property
    def background(self) -> BackgroundDrainer:
        return BackgroundDrainer(self.drainer, self.settings.tracking_drain_interval)

    def drain_for_pass(self) -> list[str]:
        """Drain before a scheduler pass; a line for its report when anything happened.

        The spool read here is this host's: web processes elsewhere drain their own."""
        try:
            report = self.drainer.drain()
        except Exception:
            log.exception("draining tracking hits failed; they stay buffered")
            return ["tracking: drain failed, hits stay buffered (see the log)"]
        if report.read or report.malformed or report.failed:
            return [f"tracking: {report.describe()}"]
        return []

    def close(self) -> None:
        if "background" in self.__dict__:
            self.background.stop()
        if "spool" in self.__dict__:
            self.spool.close()
        if self.__dict__.get("redis") is not None:
            self.__dict__["redis"].close()
