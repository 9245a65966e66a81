"""Applicant sign-in across two case-service processes on one PostgreSQL: the codes, the attempts and the
send limits are the database's, not a process's, so the proxy may send each step to any worker."""

from __future__ import annotations

import functools
from pathlib import Path

import httpx
import pytest

from case_service.api.routes.applicant_signin import (
    dev_eid_issuer,
    dev_sms_messages,
    dev_sms_path,
    issue_eid,
)
from case_service.domain.signin import CODE_ATTEMPTS
from hall.privacy import PiiCipher, mask_id_number
from hall.settings import DEV_PII_KEY, DEV_SECRET_KEY
from tests.fixtures.devices import admin_headers, enrol
from tests.reliability.workers import CaseWorker, in_parallel, login, person, submit

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PERSON = 41


@pytest.fixture(scope="module")
def urls(case_workers: list[CaseWorker]) -> list[str]:
    return [worker.url for worker in case_workers]


@pytest.fixture(scope="module")
def sms_log(case_workers: list[CaseWorker]) -> Path:
    # Both workers share the data directory (as they would share a host), so one development SMS sink.
    env = case_workers[0].process.popen_kwargs["env"]
    assert isinstance(env, dict)
    return dev_sms_path(Path(env["HALL_DATA_DIR"]))


@functools.cache
def _kiosk_secret(url: str, device_id: str) -> str:
    """Enrolled once (the workers share the database): registered by the admin, code exchanged."""
    with httpx.Client(base_url=url, timeout=30) as client:
        return enrol(client, admin_headers(client), device_id, "kiosk")


def _kiosk(url: str, device_id: str = "kiosk-07") -> dict[str, str]:
    answer = httpx.post(
        f"{url}/api/v1/auth/device-token",
        json={"device_id": device_id, "secret": _kiosk_secret(url, device_id)},
        timeout=30,
    )
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _last_code(sms_log: Path, phone: str) -> str:
    cipher = PiiCipher.from_config(DEV_PII_KEY)
    message = next(m for m in reversed(dev_sms_messages(sms_log, cipher)) if m["phone"] == phone)
    return "".join(ch for ch in message["text"] if ch.isdigit())[:6]


def _sign_in(url: str, kiosk: dict[str, str], phone: str, code: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/auth/applicant-token/phone",
        json={"phone": phone, "code": code},
        headers=kiosk,
        timeout=30,
    )


def _send(url: str, kiosk: dict[str, str], phone: str) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/auth/sms-code", json={"phone": phone}, headers=kiosk, timeout=30)


def test_a_code_sent_through_one_worker_signs_in_through_the_other(urls: list[str], sms_log: Path) -> None:
    applicant = person(PERSON)
    phone = applicant["phone"]
    assert submit(urls[0], login(urls[0], "clerk1"), "signin-case", PERSON).status_code == 201
    kiosk = _kiosk(urls[0])

    assert _send(urls[0], kiosk, phone).status_code == 202
    too_soon = _send(urls[1], kiosk, phone)  # the minute's limit holds on the other worker too
    assert too_soon.status_code == 429, too_soon.text
    code = _last_code(sms_log, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    # Wrong attempts through both workers count against the one code.
    left = [
        _sign_in(urls[i % 2], kiosk, phone, wrong).json()["error"]["details"]["attempts_left"]
        for i in range(2)
    ]
    assert left == [CODE_ATTEMPTS - 1, CODE_ATTEMPTS - 2]

    answer = _sign_in(urls[1], kiosk, phone, code)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applicant"]["id_number"] == mask_id_number(applicant["id_number"])
    assert _sign_in(urls[0], kiosk, phone, code).status_code == 401  # consumed, on every worker


def test_racing_checks_of_one_code_sign_in_once_and_count_every_wrong_attempt(
    urls: list[str], sms_log: Path
) -> None:
    kiosk = _kiosk(urls[1], "kiosk-08")
    phone = "13700000041"
    assert _send(urls[1], kiosk, phone).status_code == 202
    code = _last_code(sms_log, phone)
    # The right code at both workers at once, four times each: one sign-in in all (the number has no
    # case, so the one success is the 404 "no application"; the rest find the code spent: 401).
    calls = [functools.partial(_sign_in, url, kiosk, phone, code) for url in urls * 4]
    codes = sorted(answer.status_code for answer in in_parallel(calls))
    assert codes == [401] * 7 + [404], codes

    assert _send(urls[0], kiosk, "13700000042").status_code == 202
    code = _last_code(sms_log, "13700000042")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    calls = [functools.partial(_sign_in, url, kiosk, "13700000042", wrong) for url in urls * 4]
    answers = in_parallel(calls)
    # Eight wrong codes at once against five attempts: four "wrong", the fifth voids the code (429),
    # the rest find no code; never a lost attempt (a sixth "wrong") and never a 500.
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [401] * 7 + [429], [a.text for a in answers]
    wrongs = sorted(
        a.json()["error"]["details"]["attempts_left"]
        for a in answers
        if a.status_code == 401 and "wrong code" in a.json()["error"]["message"]
    )
    assert wrongs == [1, 2, 3, 4]
    assert _sign_in(urls[1], kiosk, "13700000042", code).status_code == 401  # voided


def test_an_eid_code_signs_in_once_across_workers(urls: list[str]) -> None:
    applicant = person(PERSON)
    qr = issue_eid(dev_eid_issuer(DEV_SECRET_KEY), applicant["name"], applicant["id_number"])
    kiosk = _kiosk(urls[0], "kiosk-09")

    def scan(url: str) -> httpx.Response:
        return httpx.post(
            f"{url}/api/v1/auth/applicant-token/eid", json={"qr": qr}, headers=kiosk, timeout=30
        )

    answers = in_parallel([functools.partial(scan, url) for url in urls * 3])
    assert sorted(a.status_code for a in answers) == [200] + [401] * 5, [a.text for a in answers]
