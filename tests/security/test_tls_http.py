"""HTTPS in front of the case service with deploy/nginx/hall-site.conf and generated certificates.

The site file is used as shipped, only its ports and certificate paths moved to the test's own; nginx
(Debian's nginx-light) terminates TLS and proxies to a real `hall case-service` process.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from case_service.bootstrap import demo_password
from hall.net import free_port, tcp_open
from tests.fixtures.procs import ServiceProcess, require_binary
from tests.hall_controller.test_controller_broker_security import make_ca_and_server_cert
from tests.reliability.workers import CaseWorker

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SITE = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "hall-site.conf"


@dataclass
class Proxy:
    https_url: str
    http_port: int
    https_port: int
    ca: Path


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    nginx = require_binary(shutil.which("nginx") or "/usr/sbin/nginx", "nginx-light")
    base = tmp_path_factory.mktemp("nginx")
    ca, cert, key = make_ca_and_server_cert(base / "tls")
    worker = CaseWorker.start(base, "case-service", database_url=f"sqlite:///{base / 'case.db'}")
    ports = {"http": free_port(), "https": free_port(), "dashboard": free_port()}
    site = (
        SITE.read_text()
        .replace("127.0.0.1:8000", worker.url.removeprefix("http://"))
        .replace("listen 80;", f"listen 127.0.0.1:{ports['http']};")
        .replace("listen 443 ssl", f"listen 127.0.0.1:{ports['https']} ssl")
        .replace("listen 8443 ssl", f"listen 127.0.0.1:{ports['dashboard']} ssl")
        .replace("/etc/hall/tls/server.pem", str(cert))
        .replace("/etc/hall/tls/server.key", str(key))
    )
    (base / "hall-site.conf").write_text(site)
    (base / "nginx.conf").write_text(
        f"user root;\nworker_processes 1;\npid {base}/nginx.pid;\nerror_log {base}/error.log;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n  access_log {base}/access.log;\n  client_body_temp_path {base}/body;\n"
        f"  proxy_temp_path {base}/proxy;\n  include {base}/hall-site.conf;\n}}\n"
    )
    check = subprocess.run(
        [nginx, "-t", "-p", str(base), "-c", str(base / "nginx.conf")], capture_output=True
    )
    assert check.returncode == 0, check.stderr.decode()
    server = ServiceProcess(
        "nginx",
        [nginx, "-p", str(base), "-c", str(base / "nginx.conf"), "-g", "daemon off;"],
        base / "out.log",
    )
    server.start(ready=lambda: tcp_open("127.0.0.1", ports["https"]), timeout=20)
    try:
        yield Proxy(f"https://127.0.0.1:{ports['https']}", ports["http"], ports["https"], ca)
    finally:
        server.stop()
        worker.stop()


def test_the_api_answers_over_https_with_the_halls_ca(proxy: Proxy) -> None:
    with httpx.Client(base_url=proxy.https_url, verify=ssl.create_default_context(cafile=proxy.ca)) as client:
        assert client.get("/healthz").status_code == 200
        answer = client.get("/api/v1/items", params={"q": "食品"})
        assert answer.status_code == 200 and answer.json()["total"] >= 1
        assert answer.headers["strict-transport-security"].startswith("max-age=")


def test_a_login_through_the_proxy_gives_a_working_token(proxy: Proxy) -> None:
    with httpx.Client(base_url=proxy.https_url, verify=ssl.create_default_context(cafile=proxy.ca)) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": "clerk1", "password": demo_password("clerk1")}
        )
        assert login.status_code == 200, login.text
        me = client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"}
        )
        assert me.status_code == 200 and me.json()["roles"] == ["clerk"]


def test_plain_http_is_sent_to_https(proxy: Proxy) -> None:
    answer = httpx.get(f"http://127.0.0.1:{proxy.http_port}/api/v1/items", follow_redirects=False)
    assert answer.status_code == 301 and answer.headers["location"].startswith("https://")


def test_a_client_without_the_halls_ca_refuses_the_server(proxy: Proxy) -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{proxy.https_url}/healthz")


def test_old_tls_versions_are_refused(proxy: Proxy) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(proxy.ca)
    # The client is willing (OpenSSL's own floor lowered): the refusal has to come from the server.
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_1
    with (
        socket.create_connection(("127.0.0.1", proxy.https_port), timeout=5) as raw,
        pytest.raises(ssl.SSLError, match="ALERT_PROTOCOL_VERSION|protocol version"),
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")
