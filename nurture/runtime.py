"""The composition root: settings in, every long-lived collaborator out.

Entry points (CLI commands, the web app, the worker) build one `Runtime`; nothing below
them reads the environment or picks an implementation. Collaborators are built, and
their modules imported, on first use: a command pays only for what it touches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

from nurture.clock import Clock, SystemClock
from nurture.config import Settings, load_settings

if TYPE_CHECKING:
    import dramatiq
    from sqlalchemy.engine import Engine

    from nurture.actors import Actors
    from nurture.campaigns.catalog import CampaignCatalog
    from nurture.consent.tokens import Tokens
    from nurture.db import SessionFactory
    from nurture.engine.scheduler import SchedulerPass
    from nurture.gdpr.notices import ErasureNotifier
    from nurture.handoff.deliver import Deliverer
    from nurture.links import Links
    from nurture.mail.render import Renderer
    from nurture.mail.transport import Transport
    from nurture.scoring.loader import ScoringCatalog
    from nurture.scoring.maintenance import ScoringPass
    from nurture.scoring.service import ScoreUpdater
    from nurture.sending.sender import Sender
    from nurture.sending.transactional import TransactionalComposer
    from nurture.tracking.services import TrackingServices
    from nurture.webhooks.deliver import WebhookDeliverer


@dataclass
class Runtime:
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    wall_clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        from nurture.db import make_engine

        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> SessionFactory:
        from nurture.db import make_session_factory

        return make_session_factory(self.engine)

    @cached_property
    def tokens(self) -> Tokens:
        from nurture.consent.tokens import Tokens

        return Tokens(self.settings.secret_keys, confirm_days=self.settings.confirm_days)

    @cached_property
    def links(self) -> Links:
        from nurture.links import Links

        return Links(self.settings.base_url, self.tokens)

    @cached_property
    def campaigns(self) -> CampaignCatalog:
        from nurture.campaigns.catalog import CampaignCatalog

        return CampaignCatalog(self.settings.campaigns_dir)

    @cached_property
    def renderer(self) -> Renderer:
        from nurture.mail.render import Renderer

        return Renderer(self.settings.templates_dir)

    @cached_property
    def transport(self) -> Transport:
        from nurture.mail.transport import transport_from_url

        return transport_from_url(
            self.settings.smtp_url, self.settings.outbox_dir, self.settings.smtp_timeout
        )

    @cached_property
    def broker(self) -> dramatiq.Broker:
        from nurture.broker import make_broker

        return make_broker(self.settings)

    @cached_property
    def actors(self) -> Actors:
        from nurture.actors import Actors

        return Actors(
            self.broker,
            lambda: self.sender,
            scorer=lambda: self.scorer,
            deliverer=lambda: self.handoff_deliverer,
            webhooks=lambda: self.webhook_deliverer,
            notifier=lambda: self.erasure_notifier,
        )

    @cached_property
    def sender(self) -> Sender:
        from nurture.sending.compose import Composer
        from nurture.sending.sender import Sender

        s = self.settings
        return Sender(
            engine=self.engine,
            sessions=self.sessions,
            transport=self.transport,
            composer=Composer(
                self.renderer, self.links, s.postal_address, tracking=self.tracking.policy
            ),
            campaigns=self.campaigns.cached,
            suppression_key=s.suppression_key,
            clock=self.clock,
            wall_clock=self.wall_clock,
            max_attempts=s.send_max_attempts,
            min_backoff=timedelta(milliseconds=s.retry_min_backoff_ms),
            max_backoff=timedelta(milliseconds=s.retry_max_backoff_ms),
            transactional=self.transactional,
        )

    @cached_property
    def transactional(self) -> TransactionalComposer:
        from nurture.sending.transactional import TransactionalComposer

        s = self.settings
        return TransactionalComposer(
            templates_dir=s.templates_dir,
            links=self.links,
            sender=s.from_address,
            brand_name=s.brand_name,
            brand_color=s.brand_color,
            confirm_days=s.confirm_days,
            purposes=lambda: self.campaigns().purposes,
        )

    @cached_property
    def tracking(self) -> TrackingServices:
        from nurture.tracking.services import TrackingServices

        return TrackingServices(
            self.settings,
            self.tokens,
            self.sessions,
            self.clock,
            self.wall_clock,
            score_leads=lambda lead_ids: self.actors.enqueue_score_updates(lead_ids),
        )

    @cached_property
    def scoring(self) -> ScoringCatalog:
        """scoring.yaml (or the shipped default), reloaded when the file changes."""
        from nurture.scoring.loader import ScoringCatalog

        return ScoringCatalog(self.settings.campaigns_dir)

    @cached_property
    def scorer(self) -> ScoreUpdater:
        from nurture.scoring.service import ScoreUpdater

        return ScoreUpdater(
            sessions=self.sessions,
            rules=self.scoring,
            clock=self.clock,
            deliver=self.actors.enqueue_deliveries,
            count_machines=self.settings.count_machine_engagement,
        )

    @cached_property
    def handoff_deliverer(self) -> Deliverer:
        from nurture.handoff.deliver import Deliverer
        from nurture.handoff.webhook import UrllibPoster

        s = self.settings
        return Deliverer(
            sessions=self.sessions,
            rules=self.scoring,
            transport=self.transport,
            poster=UrllibPoster(),
            secret=s.handoff_webhook_secret,
            wall_clock=self.wall_clock,
            min_backoff=timedelta(milliseconds=s.retry_min_backoff_ms),
            max_backoff=timedelta(milliseconds=s.retry_max_backoff_ms),
        )

    @cached_property
    def webhook_deliverer(self) -> WebhookDeliverer:
        from nurture.handoff.webhook import UrllibPoster
        from nurture.webhooks.deliver import WebhookDeliverer

        s = self.settings
        return WebhookDeliverer(
            sessions=self.sessions,
            poster=UrllibPoster(),
            wall_clock=self.wall_clock,
            min_backoff=timedelta(milliseconds=s.retry_min_backoff_ms),
            max_backoff=timedelta(milliseconds=s.retry_max_backoff_ms),
        )

    @cached_property
    def erasure_notifier(self) -> ErasureNotifier:
        """GDPR art. 19: `lead.erased` to the CRM and webhook subscribers of an erased lead."""
        from nurture.gdpr.notices import ErasureNotifier
        from nurture.handoff.webhook import UrllibPoster

        s = self.settings
        return ErasureNotifier(
            sessions=self.sessions,
            poster=UrllibPoster(),
            crm_secret=s.handoff_webhook_secret,
            wall_clock=self.wall_clock,
            min_backoff=timedelta(milliseconds=s.retry_min_backoff_ms),
            max_backoff=timedelta(milliseconds=s.retry_max_backoff_ms),
        )

    def scoring_pass(self) -> ScoringPass:
        from nurture.scoring.maintenance import ScoringPass

        return ScoringPass(
            sessions=self.sessions,
            rules=self.scoring,
            enqueue_deliveries=self.actors.enqueue_deliveries,
            wall_clock=self.wall_clock,
            count_machines=self.settings.count_machine_engagement,
            requeue_after=timedelta(seconds=self.settings.requeue_after),
        )

    def scheduler_pass(self) -> SchedulerPass:
        from nurture.engine.scheduler import SchedulerPass

        s = self.settings
        return SchedulerPass(
            sessions=self.sessions,
            enqueue=self.actors.enqueue,
            suppression_key=s.suppression_key,
            requeue_after=timedelta(seconds=s.requeue_after),
            sending_stale_after=timedelta(seconds=s.sending_stale_after),
            wall_clock=self.wall_clock,
            count_machines=s.count_machine_engagement,
            periodic=self._each_pass(),
        )

    def _each_pass(self) -> Callable[[datetime], list[str]]:
        """Buffered opens and clicks first, so this pass's scores and `if:` see them."""
        from nurture.gdpr.notice_log import ErasureNoticePass
        from nurture.webhooks.passes import WebhookPass

        scoring = self.scoring_pass()
        webhooks = WebhookPass(  # last: it sends what scoring recorded (became_mql…)
            self.sessions,
            self.actors.enqueue_webhooks,
            self.wall_clock,
            timedelta(seconds=self.settings.requeue_after),
        )
        notices = ErasureNoticePass(  # art. 19 notices the broker lost
            self.sessions,
            self.actors.enqueue_erasure_notices,
            self.wall_clock,
            timedelta(seconds=self.settings.requeue_after),
        )
        return lambda now: (
            self.tracking.drain_for_pass() + scoring.run(now) + webhooks.run(now) + notices.run(now)
        )

    def close(self) -> None:
        if "tracking" in self.__dict__:
            self.tracking.close()
        if "transport" in self.__dict__:
            self.transport.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


def runtime_from_env() -> Runtime:
    return Runtime(load_settings())
