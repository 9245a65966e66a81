"""Case service: status queries, submissions (SQLite, PostgreSQL), supervision over 1,000,000 cases.

The server runs as its own process (uvicorn, one worker) with a bare FastAPI endpoint added to the same
app: the anchor for the HTTP figures. Beside it, on the same database, a second server with
WORKERS uvicorn worker processes (`HALL_CASE__WORKERS`): its submissions are measured in the same
interleaved slices, against the same anchor, and its server CPU is that of all its processes.
Load comes from 2 client processes x 4 keep-alive connections, one request in flight on each: request
bytes encoded once (a submission's new Idempotency-Key spliced in) and answers parsed off raw sockets,
every status checked; the same loop loads the anchor and every target.
PostgreSQL is HALL_BENCH_POSTGRES_URL's server, or a throw-away cluster started like the test fixture,
which runs with fsync, synchronous_commit and full_page_writes off: its submission figure is the CPU-bound
one. With durable commits every submission's COMMIT waits for the WAL flush while it holds the audit
chain's head row (taken, on PostgreSQL, in the same pipeline as the COMMIT), so submissions/s is then
about 1 / (flush latency); measure that against a durable server through HALL_BENCH_POSTGRES_URL.
Server CPU per request (from /proc) is reported beside each rate, because this machine is shared and
the rates move with the load; 1000 / (CPU ms) is what one core of the server would sustain. The
targets are measured in interleaved slices, so a swing of the other load hits figure and anchor alike.
For submissions the load generator's CPU and (local PostgreSQL) the database's CPU per request are
given too: on a small machine they share the cores with the server.
The supervision data set is generated inside the database (1,000,000 cases, ~15 % open) and the query
is timed beside a plain count(*) over the same table.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.core import Figure
from hall.net import free_port, wait_for_http

DURATION = 5.0  # seconds of load per target
ROUNDS = 5  # ... in this many slices, the targets interleaved
CLIENT_PROCESSES = 2
CONNECTIONS_PER_PROCESS = 4
WORKERS = 2  # the several-worker server's processes
SUPERVISION_CASES = 1_000_000
ITEM = "513200-XK-SJ-0529"


# The server ------------------------------------------------------------------------------------------


def serve(database_url: str, data_dir: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from case_service.app import prepare

    os.environ.update(BENCH_DATABASE_URL=database_url, BENCH_DATA_DIR=data_dir)  # the workers' settings
    if workers > 1:
        prepare(_bench_settings())  # as `hall case-service` does: once, before the workers
        os.environ["BENCH_PREPARED"] = "1"
    uvicorn.run(
        bench_app() if workers == 1 else "bench.bench_case_service:bench_app",
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )


def _bench_settings() -> Any:
    from hall.settings import Settings

    return Settings(
        database_url=os.environ["BENCH_DATABASE_URL"],
        data_dir=Path(os.environ["BENCH_DATA_DIR"]),
        case={"sweep_interval_seconds": 0},
    )


def bench_app() -> Any:
    """The case service's app plus the bare anchor endpoint (in each worker process)."""
    from case_service.app import create_app

    app = create_app(_bench_settings(), prepare_db=not os.environ.get("BENCH_PREPARED"))

    @app.get("/bench/bare")
    def bare() -> dict[str, str]:
        return {"number": "20250926-00000000", "state": "accepted"}

    return app


@contextmanager
def running_server(database_url: str, workers: int = 1) -> Iterator[tuple[int, int]]:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "bench.bench_case_service", "serve", database_url, folder]
        process = subprocess.Popen(
            [*command, str(port), str(workers)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            if not wait_for_http(f"http://127.0.0.1:{port}/healthz", 120):
                raise RuntimeError("the case service did not start")
            yield port, process.pid
        finally:
            process.terminate()
            process.wait(30)


def _request(
    port: int, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(
        method, path, body=payload, headers={"Content-Type": "application/json", **(headers or {})}
    )
    response = connection.getresponse()
    data = response.read()
    connection.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
    return json.loads(data)


def _staff_token(port: int) -> dict[str, str]:
    answer = _request(port, "POST", "/api/v1/auth/login", {"username": "clerk1", "password": "demo-clerk1"})
    return {"Authorization": f"Bearer {answer['access_token']}"}


# The load --------------------------------------------------------------------------------------------


def _connection_loop(
    port: int, method: str, path: str, headers: dict[str, str], body: Any, until: float
) -> int:
    """One keep-alive connection, one request at a time, every answer's status checked. The request
    bytes are encoded once (a submission's only change is its Idempotency-Key) and the answer parsed
    from the raw socket: http.client cost several times the CPU per request, on the cores the server
    shares."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    payload = b""
    if body is not None:
        payload = json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    head = ("\r\n".join(lines) + "\r\n").encode()
    prefix = uuid.uuid4().hex.encode()
    buffer = b""
    done = 0
    try:
        while time.perf_counter() < until:
            if body is not None:
                request = head + b"Idempotency-Key: %s-%d\r\n\r\n" % (prefix, done) + payload
            else:
                request = head + b"\r\n"
            connection.sendall(request)
            status, buffer = _read_answer(connection, buffer)
            if status >= 300:
                raise RuntimeError(f"{method} {path} answered {status}")
            done += 1
    finally:
        connection.close()
    return done


def _read_answer(connection: socket.socket, buffer: bytes) -> tuple[int, bytes]:
    """(status, bytes after this answer) of one HTTP/1.1 answer with a Content-Length."""
    while (end := buffer.find(b"\r\n\r\n")) < 0:
        buffer += _received(connection)
    head = buffer[:end].split(b"\r\n")
    status = int(head[0].split(b" ", 2)[1])
    length = None
    for line in head[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError(f"an answer without Content-Length: {buffer[:end]!r}")
    end += 4 + length
    while len(buffer) < end:
        buffer += _received(connection)
    return status, buffer[end:]


def _received(connection: socket.socket) -> bytes:
    data = connection.recv(65536)
    if not data:
        raise RuntimeError("the server closed the connection")
    return data


def _client_process(args: tuple[int, str, str, dict[str, str], Any, float]) -> tuple[int, float]:
    """(requests completed, this client process's CPU seconds)."""
    from concurrent.futures import ThreadPoolExecutor

    cpu = time.process_time()
    port, method, path, headers, body, until = args
    with ThreadPoolExecutor(CONNECTIONS_PER_PROCESS) as pool:
        futures = [
            pool.submit(_connection_loop, port, method, path, headers, body, until)
            for _ in range(CONNECTIONS_PER_PROCESS)
        ]
        done = sum(future.result() for future in futures)
    return done, time.process_time() - cpu


def _ready(_: int) -> int:
    return os.getpid()


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and its direct children (the PostgreSQL postmaster and its backends)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid or stat.parent.name == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@dataclass(frozen=True)
class Rate:
    per_second: float
    server_ms: float  # server CPU per request
    client_ms: float  # the load generator's CPU per request
    database_ms: float | None  # the database server's CPU per request (a local PostgreSQL only)


Server = tuple[int, int]  # port, pid
Target = tuple[Server, str, str, dict[str, str], Any]  # server, method, path, headers, JSON body


def measure(targets: dict[str, Target], database_pid: int | None = None) -> dict[str, Rate]:
    """Each target's completed requests per second, and the CPU each request cost where.

    DURATION per target, in ROUNDS slices with the targets interleaved: the machine is shared, and a
    swing of the other load then falls on the figure and on its anchor alike."""
    totals = {name: [0, 0.0, 0.0, 0.0, 0.0] for name in targets}  # done, seconds, server, clients, db
    context = multiprocessing.get_context("spawn")
    with context.Pool(CLIENT_PROCESSES) as pool:
        pool.map(_ready, range(CLIENT_PROCESSES * 2))  # the workers have started and imported
        for _ in range(ROUNDS):
            for name, ((port, pid), method, path, headers, body) in targets.items():
                server_before = tree_cpu_seconds(pid)  # with its workers, if it has any
                database_before = tree_cpu_seconds(database_pid) if database_pid else 0.0
                started = time.perf_counter()
                until = started + DURATION / ROUNDS
                answers = pool.map(
                    _client_process, [(port, method, path, headers, body, until)] * CLIENT_PROCESSES
                )
                total = totals[name]
                total[1] += time.perf_counter() - started
                total[2] += tree_cpu_seconds(pid) - server_before
                total[4] += tree_cpu_seconds(database_pid) - database_before if database_pid else 0.0
                total[0] += sum(done for done, _ in answers)
                total[3] += sum(cpu for _, cpu in answers)
    rates = {}
    for name, (done, seconds, server_cpu, clients, database) in totals.items():
        count = max(done, 1)
        rates[name] = Rate(
            done / seconds,
            1000 * server_cpu / count,
            1000 * clients / count,
            1000 * database / count if database_pid else None,
        )
    return rates


def _submission_body() -> dict[str, Any]:
    return {"item_code": ITEM, "applicant": {"name": "张三", "id_number": "11010519491231002X"}}


# PostgreSQL --------------------------------------------------------------------------------------------


@contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    external = os.environ.get("HALL_BENCH_POSTGRES_URL")
    if external:
        yield external
        return
    from tests.fixtures.postgres import _start_cluster

    base = Path(tempfile.mkdtemp(prefix="hall-bench-pg-"))
    cluster = _start_cluster(base)
    try:
        with psycopg.connect(cluster.admin_url, autocommit=True) as connection:
            connection.execute('CREATE DATABASE "bench"')
        assert cluster.data_dir is not None
        _LOCAL_POSTMASTERS[cluster.url("bench")] = int(
            (cluster.data_dir / "postmaster.pid").read_text().split()[0]
        )
        yield cluster.url("bench")
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


# The postmaster of each throw-away cluster, by URL: its CPU (with its backends') is measured.
_LOCAL_POSTMASTERS: dict[str, int] = {}


# Supervision over a million cases ---------------------------------------------------------------------

DEPARTMENTS = [
    "州教育局",
    "州司法局",
    "州财政局",
    "州人社局",
    "州科技局",
    "州农业农村局",
    "州商务经济合作局",
    "州文体旅游局",
    "州市场监管局",
    "州广电局",
]


def _fill_cases(engine: Any, count: int, today: Any) -> None:
    """Generates the rows inside the database: ~15 % open with due dates from 60 days ago to 60 ahead."""
    from sqlalchemy import text

    dialect = engine.dialect.name
    if dialect == "postgresql":
        source = f"SELECT g AS n FROM generate_series(1, {count}) AS g"
        department = "(ARRAY[" + ",".join(f"'{name}'" for name in DEPARTMENTS) + "])[1 + n % 10]"
        is_open = "(n % 100) < 15"
        due = f"CASE WHEN (n % 100) < 15 THEN DATE '{today}' + ((n % 121) - 60) END"
        submitted = f"DATE '{today}' - (n % 400)"
        now = "now()"
    else:
        recursive = f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count})"
        source = f"{recursive} SELECT n FROM s"
        department = (
            "CASE n % 10 "
            + " ".join(f"WHEN {i} THEN '{name}'" for i, name in enumerate(DEPARTMENTS))
            + " END"
        )
        is_open = "CASE WHEN (n % 100) < 15 THEN 1 ELSE 0 END"
        due = f"CASE WHEN (n % 100) < 15 THEN date('{today}', ((n % 121) - 60) || ' days') END"
        submitted = f"date('{today}', '-' || (n % 400) || ' days')"
        now = "CURRENT_TIMESTAMP"
    statement = f"""
        INSERT INTO cases (number, item_id, item_code, item_version, item_name, department, channel,
            applicant_name, applicant_id_enc, applicant_index, state, is_open, submitted_at, submitted_on,
            auto_accepted, stage, stage_due_on, due_estimated, paused_days, extended, created_by, updated_at)
        SELECT 'B' || n, 1, '{ITEM}', 1, '食品(含保健食品)经营许可', {department}, 'window',
            '张三', 'k0:x', 'idx' || (n % 50000),
            CASE WHEN (n % 100) < 15 THEN 'in_review' ELSE 'delivered' END, {is_open}, {now}, {submitted},
            {"false" if dialect == "postgresql" else "0"}, 'review', {due},
            {"false" if dialect == "postgresql" else "0"}, 0,
            {"false" if dialect == "postgresql" else "0"}, 'bench', {now}
        FROM ({source}) AS numbers
    """
    with engine.begin() as connection:
        connection.execute(text(statement))
    # What autovacuum does in production: statistics, and on PostgreSQL the visibility map that lets
    # the supervision query answer from the index alone.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE cases" if dialect == "postgresql" else "ANALYZE"))


def supervision_seconds(database_url: str) -> tuple[float, float, int]:
    """(median supervision query, median count(*) over all cases, cases found) on a fresh 1M data set."""
    from sqlalchemy import func, select

    from case_service.bootstrap import prepare_database
    from case_service.cases import supervision
    from case_service.db import make_engine, make_session_factory
    from case_service.storage.models import Case
    from hall.calendar import china_calendar, china_today

    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    prepare_database(engine, sessions, demo_staff=False)
    today = china_today()
    _fill_cases(engine, SUPERVISION_CASES, today)
    calendar = china_calendar()
    query_times, count_times, found = [], [], 0
    with sessions() as session:
        supervision.summary(session, calendar, today)  # warm the cache once
        for _ in range(5):
            started = time.perf_counter()
            result = supervision.summary(session, calendar, today)
            query_times.append(time.perf_counter() - started)
            found = sum(row.at_risk + row.overdue for row in result.departments)
            started = time.perf_counter()
            total = session.scalar(select(func.count()).select_from(Case))
            count_times.append(time.perf_counter() - started)
            assert total is not None and total >= SUPERVISION_CASES
    engine.dispose()
    return statistics.median(query_times), statistics.median(count_times), found


# The run -----------------------------------------------------------------------------------------------


def _http_figures(database_url: str, label: str) -> list[Figure]:
    database_pid = _LOCAL_POSTMASTERS.get(database_url)
    # One after the other: the first migrates and seeds, the second finds the schema in place.
    with running_server(database_url) as server, running_server(database_url, WORKERS) as several:
        port = server[0]
        staff = _staff_token(port)
        seed_headers = {**staff, "Idempotency-Key": "seed"}
        case = _request(port, "POST", "/api/v1/cases", _submission_body(), seed_headers)
        rates = measure(
            {
                "bare": (server, "GET", "/bench/bare", {}, None),
                "status": (server, "GET", f"/api/v1/cases/{case['id']}/status", staff, None),
                "submissions": (server, "POST", "/api/v1/cases", staff, _submission_body()),
                # the same token: signed with the shared secret, valid on every process
                "submissions, workers": (several, "POST", "/api/v1/cases", staff, _submission_body()),
            },
            database_pid,
        )
        bare, status, submissions = rates["bare"], rates["status"], rates["submissions"]
        several_submissions = rates["submissions, workers"]
    goal = ">= 300/s" if label == "SQLite" else ">= 500/s"
    anchor, anchor_cpu = "bare FastAPI endpoint", "bare endpoint, server CPU"
    figures = [
        Figure(
            f"case status queries ({label})", status.per_second, "req/s", anchor, bare.per_second, ">= 60 %"
        ),
        Figure(f"case submissions ({label})", submissions.per_second, "req/s", anchor, bare.per_second, goal),
        Figure(
            f"case submissions ({label}, {WORKERS} workers)",
            several_submissions.per_second,
            "req/s",
            anchor,
            bare.per_second,
            goal,
        ),
        Figure(
            f"server CPU per status query ({label})",
            status.server_ms,
            "ms",
            anchor_cpu,
            bare.server_ms,
            better="lower",
        ),
        Figure(
            f"server CPU per submission ({label})",
            submissions.server_ms,
            "ms",
            anchor_cpu,
            bare.server_ms,
            better="lower",
        ),
        Figure(
            f"server CPU per submission ({label}, {WORKERS} workers, all processes)",
            several_submissions.server_ms,
            "ms",
            anchor_cpu,
            bare.server_ms,
            better="lower",
        ),
        # Where the rest of the machine's CPU goes per submission: on a 2-core box server + clients
        # (+ database) share the cores, so 2000 / their sum is the most submissions/s it can give.
        Figure(
            f"load-generator CPU per submission ({label})",
            submissions.client_ms,
            "ms",
            anchor_cpu,
            bare.server_ms,
            better="lower",
        ),
    ]
    if submissions.database_ms is not None:
        figures.append(
            Figure(
                f"database CPU per submission ({label})",
                submissions.database_ms,
                "ms",
                anchor_cpu,
                bare.server_ms,
                better="lower",
            )
        )
    return figures


def run() -> list[Figure]:
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as folder:
        sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        figures += _http_figures(sqlite_url, "SQLite")
        supervision_query, count_all, found = supervision_seconds(f"sqlite:///{Path(folder) / 'million.db'}")
        figures.append(
            Figure(
                f"supervision over 1M cases (SQLite, {found:,} flagged)",
                supervision_query,
                "s",
                "count(*) over the same cases",
                count_all,
                "< 1 s",
                better="lower",
            )
        )
    with postgres_database() as postgres_url:
        figures += _http_figures(postgres_url, "PostgreSQL")
        supervision_query, count_all, found = supervision_seconds(postgres_url)
        figures.append(
            Figure(
                f"supervision over 1M cases (PostgreSQL, {found:,} flagged)",
                supervision_query,
                "s",
                "count(*) over the same cases",
                count_all,
                "< 1 s",
                better="lower",
            )
        )
    return figures


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "serve":
    serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
