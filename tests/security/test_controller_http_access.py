"""The hall controller's HTTP API takes clerk and manager actions only from signed-in staff.

Issue 10 found the controller's routes open: anyone reaching its port could act as a window clerk or open
a locker compartment under a self-declared administrator name. Every state-changing route now needs a
staff token of the case service (verified on the controller with the shared key, so no round trip), with
the role the action needs; the name recorded is the token's. What stays open, on purpose: health, the
dashboard's reading, taking a ticket (kiosk, phone), rating a pending request and a pickup, whose code,
QR or ID card is itself the credential (rate-limited). See docs/queue.md and docs/lockers.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from devices.config import DeviceSettings
from hall.errors import StartupError
from hall.settings import DEV_SECRET_KEY, Mode, Settings
from hall_controller.app import create_app
from hall_controller.config import ControllerSettings
from hall_controller.display_links import DisplayLinks
from kiosk.config import KioskSettings
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import controller_settings, new_hall_id, staff_headers, staff_token

pytestmark = pytest.mark.integration

QUEUE = "/api/v1/ext/queue"
LOCKERS = "/api/v1/ext/lockers"
REMOTE_OPEN = {"bank_id": "locker-bank-01", "number": 1, "admin": "intruder", "reason": "just because"}

# Every state-changing route (and the manager's readings) with a body that would otherwise be accepted.
CLERK_ROUTES = [
    ("POST", f"{QUEUE}/windows/1/actions", {"key": "sign-in", "clerk": "intruder"}),
    ("GET", f"{QUEUE}/windows/1", None),  # the ticket's case and person: for the clerk's desk only
    ("POST", f"{QUEUE}/tickets/A001/cancel", None),
    ("POST", f"{QUEUE}/kiosk-ratings", {"case_id": "1"}),
    ("POST", f"{LOCKERS}/deposits", {"case_id": "C-1", "size": "S", "clerk": "intruder"}),
    ("POST", f"{LOCKERS}/returns", {"bank_id": "locker-bank-01", "number": 1, "staff": "intruder"}),
    (
        "POST",
        f"{LOCKERS}/demo-cases",
        {"case_id": "C-1", "phone": "13912345678", "id_number": "11010119900307123X"},
    ),
    ("GET", f"{LOCKERS}/uncollected", None),
    # Issue 16: the card reads and camera pages of the window the clerk is signed in at.
    ("GET", "/api/v1/ext/window/mine", None),
    ("POST", "/api/v1/ext/window/mine/capture", None),
]
MANAGER_ROUTES = [
    ("POST", f"{LOCKERS}/remote-open", REMOTE_OPEN),
    ("GET", f"{LOCKERS}/audit", None),
    ("POST", "/api/v1/alarms/a-1/ack", {"by": "intruder"}),
    ("GET", f"{QUEUE}/follow-ups", None),
    ("POST", f"{QUEUE}/follow-ups/f-1/callbacks", {"note": "called back"}),
    ("GET", f"{QUEUE}/outbox", None),
    # Issue 15: the day's statistics (waits, clerks' figures) are the manager's reading.
    ("GET", f"{QUEUE}/stats", None),
    ("GET", f"{QUEUE}/stats.csv", None),
    ("GET", f"{QUEUE}/stats/range", None),
    ("GET", f"{QUEUE}/stats/range.xlsx", None),
    # Issue 20: the call screen's links and notice.
    ("POST", f"{QUEUE}/screen/links", {"device_id": "tv-1"}),
    ("PUT", f"{QUEUE}/screen/notice", {"text": "intruder's notice"}),
    # Issue 20: the floor view names the clerks at the windows.
    ("GET", "/api/v1/dashboard/floor", None),
]
# The call screen's readings: a display link (traded for the screen's cookie) is the credential.
DISPLAY_ROUTES = [("GET", f"{QUEUE}/screen/state"), ("GET", f"{QUEUE}/screen/stream")]
# Open on purpose, each for a reason; everything else in the OpenAPI document must be in a list above.
OPEN_ROUTES = {
    ("GET", "/healthz"): "health",
    ("GET", "/api/v1/devices"): "the dashboard's reading",
    ("GET", "/api/v1/devices/{device_id}"): "the dashboard's reading",
    ("GET", "/api/v1/alarms"): "the dashboard's reading",
    ("GET", "/api/v1/dashboard"): "the dashboard's reading",
    ("POST", "/api/v1/auth/login"): "signing in (forwarded to the case service)",
    ("GET", f"{LOCKERS}/compartments"): "the dashboard's reading (no case, no person)",
    ("POST", f"{LOCKERS}/pickups"): "the code, QR or vouched-for ID card is the credential, rate-limited",
    ("GET", f"{QUEUE}/state"): "the hall display's reading",
    ("POST", f"{QUEUE}/tickets"): "ordinary tickets; priority and window tickets need a kiosk or a clerk",
    ("POST", f"{QUEUE}/remote-tickets"): "bound to a phone number, rate-limited",
    ("GET", f"{QUEUE}/tickets/{{number}}"): "the ticket holder's progress (no person)",
    ("POST", f"{QUEUE}/ratings/{{rating_id}}"): "needs the rating's one-time token",
}
PARAMETERS = {"{device_id}": "d-1", "{number}": "A001", "{rating_id}": "r-1", "{window}": "1"}


@pytest.fixture
def settings(mosquitto: Broker, tmp_path: Path) -> Settings:
    return controller_settings(mosquitto.url, tmp_path, new_hall_id())


@pytest.fixture
def controller(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def test_every_route_says_who_may_use_it(controller: TestClient) -> None:
    """A route added without a decision fails here: it must be open for a stated reason or guarded."""
    guarded = {(method, path) for method, path, _body in CLERK_ROUTES + MANAGER_ROUTES}
    documented = controller.get("/openapi.json").json()["paths"]
    for path, operations in documented.items():
        for method in operations:
            concrete = path
            for name, value in PARAMETERS.items():
                concrete = concrete.replace(name, value)
            concrete = concrete.replace("{alarm_id}", "a-1").replace("{follow_up_id}", "f-1")
            known = (
                (method.upper(), path) in OPEN_ROUTES
                or (method.upper(), concrete) in guarded
                or (method.upper(), path) in DISPLAY_ROUTES
                or (method.upper(), path) == ("POST", f"{QUEUE}/screen/session")
            )
            assert known, f"{method.upper()} {path} says nobody who may use it"


def test_reading_the_dashboard_health_needs_no_login(controller: TestClient) -> None:
    for path in ("/healthz", "/", "/api/v1/dashboard", "/api/v1/devices", "/api/v1/alarms", f"{QUEUE}/state"):
        assert controller.get(path).status_code == 200, path


@pytest.mark.parametrize(("method", "path"), DISPLAY_ROUTES)
def test_the_call_screen_reads_nothing_without_its_link(
    controller: TestClient, settings: Settings, method: str, path: str
) -> None:
    assert controller.request(method, path).status_code == 401
    forged, _ = DisplayLinks("x" * 40, settings.hall_id).issue("hall-tv-1", 1)
    controller.cookies.set("hall_screen", forged)
    assert controller.request(method, path).status_code == 401
    # A manager's staff token is no display link, neither as the cookie nor as the bearer.
    manager = staff_token(settings, "m", ("manager",))
    controller.cookies.set("hall_screen", manager)
    assert controller.request(method, path).status_code == 401
    assert (
        controller.post(f"{QUEUE}/screen/session", headers={"Authorization": f"Bearer {manager}"}).status_code
        == 401
    )
    assert (
        controller.post(f"{QUEUE}/screen/session", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )


def test_an_anonymous_clerk_action_is_refused(controller: TestClient) -> None:
    answer = controller.post(f"{QUEUE}/windows/1/actions", json={"key": "sign-in", "clerk": "intruder"})
    assert answer.status_code == 401, answer.text
    assert controller.get(f"{QUEUE}/state").json()["windows"][0]["clerk"] is None


def test_an_anonymous_remote_open_is_refused(controller: TestClient) -> None:
    answer = controller.post(f"{LOCKERS}/remote-open", json=REMOTE_OPEN)
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize(("method", "path", "body"), CLERK_ROUTES + MANAGER_ROUTES)
def test_every_guarded_route_refuses_no_token_and_a_forged_one(
    controller: TestClient, settings: Settings, method: str, path: str, body: object
) -> None:
    assert controller.request(method, path, json=body).status_code == 401
    forged = staff_token(
        settings.model_copy(update={"secret_key": SecretStr("x" * 40)}), "admin", ("admin", "manager")
    )
    answer = controller.request(method, path, json=body, headers={"Authorization": f"Bearer {forged}"})
    assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "body"), MANAGER_ROUTES)
def test_a_clerk_cannot_do_what_is_the_managers(
    controller: TestClient, settings: Settings, method: str, path: str, body: object
) -> None:
    answer = controller.request(
        method, path, json=body, headers=staff_headers(settings, "clerk1", ("clerk",))
    )
    assert answer.status_code == 403, answer.text


def test_other_roles_and_token_kinds_are_refused(controller: TestClient, settings: Settings) -> None:
    action = f"{QUEUE}/windows/1/actions"
    reviewer = staff_headers(settings, "reviewer1", ("reviewer",))
    assert controller.post(action, json={"key": "sign-in"}, headers=reviewer).status_code == 403
    admin = staff_headers(settings, "admin", ("admin",))  # a system administrator is not a window clerk
    assert controller.post(action, json={"key": "sign-in"}, headers=admin).status_code == 403
    from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
    from case_service.domain.states import Role

    signer = TokenSigner(settings.secret_key.get_secret_value())
    device, _ = signer.issue(Principal(PrincipalKind.DEVICE, "kiosk-01", frozenset({Role.CLERK})), 600)
    assert (
        controller.post(
            action, json={"key": "sign-in"}, headers={"Authorization": f"Bearer {device}"}
        ).status_code
        == 401
    )
    for header in ("Basic Zm9vOmJhcg==", "Bearer", "Bearer not-a-token", "Bearer v1.e30.AAAA"):
        assert (
            controller.post(action, json={"key": "sign-in"}, headers={"Authorization": header}).status_code
            == 401
        )


def test_an_expired_token_is_refused_and_a_valid_clerk_signs_in_under_its_own_name(
    controller: TestClient, settings: Settings
) -> None:
    action = f"{QUEUE}/windows/1/actions"
    expired = staff_token(settings, "clerk1", ("clerk",), ttl=-5)
    answer = controller.post(action, json={"key": "sign-in"}, headers={"Authorization": f"Bearer {expired}"})
    assert answer.status_code == 401
    signed = controller.post(
        action, json={"key": "sign-in", "clerk": "someone-else"}, headers=staff_headers(settings, "clerk1")
    )
    assert signed.status_code == 200, signed.text
    assert controller.get(f"{QUEUE}/state").json()["windows"][0]["clerk"] == "clerk1"


def test_tokens_of_another_key_are_refused_when_the_shared_key_is_set(
    mosquitto: Broker, tmp_path: Path
) -> None:
    shared = "s" * 40
    settings = controller_settings(
        mosquitto.url, tmp_path, new_hall_id(), controller={"staff_token_key": shared}
    )
    with TestClient(create_app(settings)) as client:
        action = f"{QUEUE}/windows/1/actions"
        own_key = staff_headers(settings, "clerk1")  # signed with HALL_SECRET_KEY, not the shared key
        assert client.post(action, json={"key": "sign-in"}, headers=own_key).status_code == 401
        case_service = staff_headers(settings.model_copy(update={"secret_key": SecretStr(shared)}), "clerk1")
        assert client.post(action, json={"key": "sign-in"}, headers=case_service).status_code == 200


# Production refuses simulated devices: the controller's production settings name real ones.
REAL_DEVICES: dict[str, Any] = {
    "devices": DeviceSettings(backend="real"),
    "kiosk": KioskSettings(card_reader="device", camera="device", scanner="device", printer="cups"),
}


@pytest.mark.parametrize("key", [None, DEV_SECRET_KEY, "too-short"])
def test_production_refuses_a_missing_development_or_short_shared_key(
    tmp_path: Path, key: str | None
) -> None:
    settings = Settings(
        mode=Mode.PRODUCTION,
        data_dir=tmp_path,
        controller=ControllerSettings(
            staff_token_key=None if key is None else SecretStr(key), locker_cases="case-service"
        ),
        secret_key=SecretStr("k" * 40),
        pii_key=SecretStr("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
        locker_id_key=SecretStr("d" * 40),
        **REAL_DEVICES,
    )
    with pytest.raises(StartupError, match="HALL_CONTROLLER__STAFF_TOKEN_KEY"):
        create_app(settings)


def production_settings(tmp_path: Path, **controller: object) -> Settings:
    return Settings(
        mode=Mode.PRODUCTION,
        data_dir=tmp_path,
        controller=ControllerSettings.model_validate({"staff_token_key": "s" * 40, **controller}),
        secret_key=SecretStr("k" * 40),
        pii_key=SecretStr("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="),
        locker_id_key=SecretStr("d" * 40),
        **REAL_DEVICES,
    )


def test_production_lockers_use_the_case_service_and_refuse_the_stand_in(tmp_path: Path) -> None:
    from hall_controller.lockers.case_http import HttpCaseClient
    from hall_controller.lockers.extension import LockersExtension

    app = create_app(production_settings(tmp_path), [LockersExtension])
    [extension] = app.state.controller.extensions
    assert isinstance(extension, LockersExtension) and isinstance(extension.cases, HttpCaseClient)
    with pytest.raises(StartupError, match="LOCKER_CASES=memory"):
        create_app(production_settings(tmp_path, locker_cases="memory"), [LockersExtension])


def test_a_clerk_works_only_their_own_window_and_a_manager_anywhere(
    controller: TestClient, settings: Settings
) -> None:
    action = f"{QUEUE}/windows/1/actions"
    clerk1, clerk2 = staff_headers(settings, "clerk1"), staff_headers(settings, "clerk2")
    assert controller.post(action, json={"key": "sign-in"}, headers=clerk1).status_code == 200
    window_ticket = {"service": "business", "source": "window"}
    assert controller.post(f"{QUEUE}/tickets", json=window_ticket, headers=clerk1).status_code == 201
    taken = controller.post(action, json={"key": "next"}, headers=clerk2)
    assert taken.status_code == 403 and taken.json()["error"]["code"] == "not_your_window"
    assert controller.get(f"{QUEUE}/state").json()["windows"][0]["ticket"] is None
    manager = staff_headers(settings, "manager1", ("manager",))
    called = controller.post(action, json={"key": "next"}, headers=manager)
    assert called.status_code == 200 and called.json()["ticket"]["number"] == "A001"
    assert controller.post(action, json={"key": "recall"}, headers=clerk1).status_code == 200


def test_a_pickup_by_id_number_needs_a_kiosk_or_a_clerk_who_read_the_card(
    controller: TestClient, settings: Settings
) -> None:
    # An ID number is printed on many papers; knowing one must not open that person's compartment.
    from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
    from case_service.domain.states import Role

    signer = TokenSigner(settings.secret_key.get_secret_value())

    def bearer(kind: PrincipalKind, subject: str, role: Role) -> dict[str, str]:
        token, _ = signer.issue(Principal(kind, subject, frozenset({role})), 600)
        return {"Authorization": f"Bearer {token}"}

    body = {"bank_id": "locker-bank-01", "method": "id_card", "value": "11010119900307123X"}
    pickups = f"{LOCKERS}/pickups"
    assert controller.post(pickups, json=body).status_code == 401
    refused = [
        bearer(PrincipalKind.DEVICE, "controller-1", Role.CONTROLLER),
        bearer(PrincipalKind.STAFF, "reviewer1", Role.REVIEWER),
        bearer(PrincipalKind.APPLICANT, "someone", Role.APPLICANT),
        {"Authorization": "Bearer v1.e30.AAAA"},
    ]
    for headers in refused:
        assert controller.post(pickups, json=body, headers=headers).status_code == 401, headers
    # A kiosk or a clerk gets past the check (this test hall has no bank, so the lockers then refuse).
    for headers in (bearer(PrincipalKind.DEVICE, "kiosk-01", Role.KIOSK), staff_headers(settings, "clerk1")):
        answer = controller.post(pickups, json=body, headers=headers)
        assert answer.status_code not in (401, 403), answer.text
    # A pickup code stays its own credential: no token needed.
    code = {"bank_id": "locker-bank-01", "method": "code", "value": "123456"}
    assert controller.post(pickups, json=code).status_code not in (401, 403)
