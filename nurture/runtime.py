"""The composition root: settings in, every long-lived collaborator out.

Entry points (CLI commands, the web app, the worker) build one `Runtime`; nothing below
them reads the environment or picks an implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

import dramatiq
from sqlalchemy.engine import Engine

from nurture.actors import Actors
from nurture.broker import make_broker
from nurture.campaigns.catalog import CampaignCatalog
from nurture.clock import Clock, SystemClock
from nurture.config import Settings, load_settings
from nurture.consent.tokens import Tokens
from nurture.db import SessionFactory, make_engine, make_session_factory
from nurture.engine.scheduler import SchedulerPass
from nurture.links import Links
from nurture.mail.render import Renderer
from nurture.mail.transport import Transport, transport_from_url
from nurture.sending.compose import Composer
from nurture.sending.sender import Sender


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    wall_clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> SessionFactory:
        return make_session_factory(self.engine)

    @cached_property
    def tokens(self) -> Tokens:
        return Tokens(self.settings.secret_keys, confirm_days=self.settings.confirm_days)

    @cached_property
    def links(self) -> Links:
        return Links(self.settings.base_url, self.tokens)

    @cached_property
    def campaigns(self) -> CampaignCatalog:
        return CampaignCatalog(self.settings.campaigns_dir)

    @cached_property
    def renderer(self) -> Renderer:
        return Renderer(self.settings.templates_dir)

    @cached_property
    def transport(self) -> Transport:
        return transport_from_url(
            self.settings.smtp_url, self.settings.outbox_dir, self.settings.smtp_timeout
        )

    @cached_property
    def broker(self) -> dramatiq.Broker:
        return make_broker(self.settings)

    @cached_property
    def actors(self) -> Actors:
        return Actors(self.broker, lambda: self.sender)

    @cached_property
    def sender(self) -> Sender:
        s = self.settings
        return Sender(
            sessions=self.sessions,
            transport=self.transport,
            composer=Composer(self.renderer, self.links, s.postal_address),
            campaigns=self.campaigns,
            suppression_key=s.suppression_key,
            clock=self.clock,
            wall_clock=self.wall_clock,
            max_attempts=s.send_max_attempts,
            min_backoff=timedelta(milliseconds=s.retry_min_backoff_ms),
            max_backoff=timedelta(milliseconds=s.retry_max_backoff_ms),
        )

    def scheduler_pass(self) -> SchedulerPass:
        s = self.settings
        return SchedulerPass(
            sessions=self.sessions,
            enqueue=self.actors.enqueue,
            suppression_key=s.suppression_key,
            requeue_after=timedelta(seconds=s.requeue_after),
            sending_stale_after=timedelta(seconds=s.sending_stale_after),
            wall_clock=self.wall_clock,
        )

    def close(self) -> None:
        if "transport" in self.__dict__:
            self.transport.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


def runtime_from_env() -> Runtime:
    return Runtime(load_settings())
