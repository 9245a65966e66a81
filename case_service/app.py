"""The case service's FastAPI application."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import text
from starlette.types import Scope

from case_service.api import errors, openapi
from case_service.api.deps import principal_of
from case_service.api.limits import OVERHEAD, BodySizeLimit
from case_service.api.router import api_router
from case_service.auth.revocation import REFRESH_SECONDS
from case_service.auth.tokens import TokenSigner
from case_service.bootstrap import prepare_database
from case_service.cases import cards, supervision_feed
from case_service.cases import service as cases
from case_service.certificates import wiring as certificates
from case_service.db import make_engine, make_filing_engine, make_poll_engine, make_session_factory
from case_service.domain.errors import DomainError
from case_service.runtime import CalendarSource, Services, index_ciphers
from case_service.storage import leases
from case_service.web import assessment as assessment_pages
from case_service.web import audit as audit_pages
from case_service.web import calendar as calendar_pages
from case_service.web import cases as case_pages
from case_service.web import certificate_form, higher_result, queue_desk, window_devices
from case_service.web import complaints as complaint_pages
from case_service.web import desk as desk_pages
from case_service.web import joint as joint_pages
from case_service.web import packages as package_pages
from case_service.web import review as review_pages
from case_service.web import site_visit as site_visit_pages
from case_service.web.intake import router as intake_router
from case_service.web.reports import router as reports_router
from case_service.web.routes import router as web_router
from case_service.web.security import PageSecurityHeaders
from case_service.web.supervision import router as supervision_router
from hall import api_docs
from hall.calendar import china_today
from hall.privacy import PiiCipher
from hall.settings import Mode, Settings

log = logging.getLogger(__name__)
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "web" / "templates")


SWEEP_LEASE = "deadline-sweep"
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


def _run_sweep(services: Services, interval: float) -> int:
    """One round, unless another process of this service (a worker beside this one, or on another
    host on the same database) swept within the last 0.9 interval: a lease row claimed by a conditional
    UPDATE, so the sweep runs about once per interval however many workers there are, never two at once
    while the lease holds (and a crashed holder's lease simply runs out)."""
    with services.sessions() as session:
        if not leases.claim(session, SWEEP_LEASE, HOLDER, hold_seconds=interval * 0.9):
            session.rollback()
            return 0
        session.commit()
        calendar, today = services.calendars.get(session), services.today()
        count = cases.sweep(session, calendar, services.cipher, today)
        session.commit()
        issued = cards.issue_cards(session, calendar, today)  # 电子监察: the yellow and red cards now due
        session.commit()
    if issued:
        log.info("deadline sweep: %d supervision card(s) issued", len(issued))
    return count


async def _sweep_forever(services: Services, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            count = await asyncio.to_thread(_run_sweep, services, interval)
        except Exception:  # the sweep must outlive a database hiccup; it retries next round
            log.exception("deadline sweep failed")
            continue
        if count:
            log.info("deadline sweep: %d case(s) accepted by law (art. 32)", count)


FEED_LEASE = "supervision-feed"


def _send_feed(services: Services, interval: float) -> int:
    """One round of 审管分离's outbox (cases.supervision_feed), by one process at a time (a lease as for
    the sweep; a round longer than the lease may send an entry twice: receivers dedupe by event_id)."""
    settings = services.settings.case
    with services.sessions() as session:
        if not leases.claim(session, FEED_LEASE, HOLDER, hold_seconds=max(interval * 0.9, 30)):
            session.rollback()
            return 0
        session.commit()
        sent = supervision_feed.send_due(
            session, settings.supervision_feeds, retry_seconds=settings.feed_retry_seconds
        )
        leases.release(session, FEED_LEASE, HOLDER)
        session.commit()
    return sent.delivered


async def _feed_forever(services: Services, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(_send_feed, services, interval)
        except Exception:  # a database hiccup: the entries wait in the outbox for the next round
            log.exception("supervision feed round failed")


def _refresh_revocations(services: Services) -> None:
    with services.sessions() as session:
        services.revocations.refresh(session)


async def _refresh_revocations_forever(services: Services) -> None:
    """Other processes' sign-outs and revocations, within REFRESH_SECONDS."""
    while True:
        await asyncio.sleep(REFRESH_SECONDS)
        try:
            await asyncio.to_thread(_refresh_revocations, services)
        except Exception:  # a database hiccup: the last copy holds until the next round
            log.exception("refreshing the revoked tokens failed")


def _signed_in(services: Services) -> Callable[[Scope], bool]:
    """Whether a request carries a valid token (checked before its body is read)."""

    def check(scope: Scope) -> bool:
        try:
            principal_of(Request(scope), services)
        except DomainError:
            return False
        return True

    return check


def prepare(settings: Settings) -> None:
    """Migrations, the bundled catalogue, demo staff: once per start, before any worker serves."""
    engine = make_engine(settings.resolved_database_url)
    try:
        prepare_database(engine, make_session_factory(engine), demo_staff=settings.mode is Mode.DEVELOPMENT)
    finally:
        engine.dispose()


def create_app(
    settings: Settings, *, today: Callable[[], dt.date] | None = None, prepare_db: bool = True
) -> FastAPI:
    """`today` lets tests move the calendar; production uses the date in China (UTC+8). `prepare_db`
    False: a worker of several, whose parent ran `prepare` already."""
    engine = make_engine(settings.resolved_database_url)
    sessions = make_session_factory(engine)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cipher=PiiCipher.from_config(settings.pii_key.get_secret_value()),
        signer=TokenSigner(settings.secret_key.get_secret_value()),
        calendars=CalendarSource(),
        today=today or china_today,
        index_keys=index_ciphers(settings.pii_key.get_secret_value()),
        poll_engine=make_poll_engine(engine),
        filing_engine=make_filing_engine(engine),
    )
    if prepare_db:
        prepare_database(engine, sessions, demo_staff=settings.mode is Mode.DEVELOPMENT)

    _refresh_revocations(services)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        interval = settings.case.sweep_interval_seconds
        task = asyncio.create_task(_sweep_forever(services, interval)) if interval > 0 else None
        revocations = asyncio.create_task(_refresh_revocations_forever(services))
        every = settings.case.feed_interval_seconds
        feed = asyncio.create_task(_feed_forever(services, every)) if every > 0 else None
        yield
        for running in (task, revocations, feed):
            if running is not None:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
        for extra in (services.poll_engine, services.filing_engine):
            if extra is not None and extra is not engine:
                extra.dispose()

    app = FastAPI(
        title="Case service (办件服务)",
        version="1.0.0",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        description="The service hall's system of record: catalogue, cases, deadlines, materials, audit. "
        'Every error has the body `{"error": {"code", "message", "details"}}`.',
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.services = services
    errors.install(app)
    openapi.install(app)
    api_docs.install(app)
    app.add_middleware(PageSecurityHeaders)
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=settings.case.max_upload_bytes + OVERHEAD,
        authenticated=_signed_in(services),
    )
    app.include_router(api_router)
    certificates.install(app, services)
    app.include_router(web_router)
    app.include_router(intake_router)
    app.include_router(package_pages.router)

    app.include_router(queue_desk.router)
    app.include_router(window_devices.router)
    app.include_router(desk_pages.router)
    app.include_router(review_pages.router)
    app.include_router(site_visit_pages.router)
    app.include_router(certificate_form.router)
    app.include_router(joint_pages.router)
    app.include_router(case_pages.router)
    app.include_router(higher_result.router)

    app.include_router(reports_router)
    app.include_router(supervision_router)
    app.include_router(assessment_pages.router)
    app.include_router(complaint_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(calendar_pages.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "database": engine.dialect.name}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, "home.html", {"hall_id": settings.hall_id})

    return app
