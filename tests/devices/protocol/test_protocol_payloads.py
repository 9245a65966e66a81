"""The payload models: what they accept, and the exact reason they give for what they refuse."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.protocol import topics
from devices.protocol.payloads import (
    MAX_PAYLOAD_BYTES,
    Command,
    CompletionCode,
    Description,
    PayloadError,
    Phase,
    Presence,
    Response,
    State,
    Status,
    decode,
)


def test_round_trip_of_every_model() -> None:
    samples = [
        Status(status=Presence.ONLINE, instance="abc123"),
        Description(instance="abc", kind="ticket_printer", model="TP", firmware="1", heartbeat_seconds=5),
        State(instance="abc", seq=3, ts=1.5, data={"paper": "ok"}),
        Command(request_id="r-1", args={"text": "A012 号"}),
        Response(request_id="r-1", command="print", phase=Phase.COMPLETION, code=CompletionCode.SUCCESS),
    ]
    for sample in samples:
        assert decode(type(sample), sample.encode()) == sample


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"v": 2, "status": "online", "instance": "a"}', "unsupported payload version 2"),
        (b'{"status": "online", "instance": "a"}', "unsupported payload version None"),
        (b'{"v": 1, "status": "dancing", "instance": "a"}', "invalid Status: status"),
        (b'{"v": 1, "status": "online", "instance": "a", "extra": 1}', "invalid Status: extra"),
        (b'{"v": 1, "status": "online", "instance": "has space"}', "invalid Status: instance"),
    ],
)
def test_bad_payloads_are_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        decode(Status, raw)


def test_oversized_payload_is_refused_before_parsing() -> None:
    raw = json.dumps({"v": 1, "request_id": "r", "args": {"x": "y" * MAX_PAYLOAD_BYTES}}).encode()
    with pytest.raises(PayloadError, match="exceeds"):
        decode(Command, raw)


def test_sequence_numbers_start_at_one_as_documented() -> None:
    for seq in (b"-1", b"0"):
        with pytest.raises(PayloadError, match="seq"):
            decode(State, b'{"v": 1, "instance": "a", "seq": ' + seq + b', "ts": 0}')
    assert decode(State, b'{"v": 1, "instance": "a", "seq": 1, "ts": 0}').seq == 1


@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_escape_as_anything_but_payload_error(raw: bytes) -> None:
    for model in (Status, Description, State, Command, Response):
        with contextlib.suppress(PayloadError):
            decode(model, raw)


def test_topics_build_and_parse_back() -> None:
    built = topics.topic("hall-01", "printer-1", topics.Channel.CMD, "print")
    assert built == "hall/v1/hall-01/printer-1/cmd/print"
    assert topics.parse(built) == topics.ParsedTopic("hall-01", "printer-1", topics.Channel.CMD, "print")
    assert topics.controller_status("hall-01") == "hall/v1/hall-01/$controller/status"
    assert topics.command_filter("hall-01", "printer-1") == "hall/v1/hall-01/printer-1/cmd/+"


@pytest.mark.parametrize(
    "bad",
    ["hall/v2/h/d/status", "hall/v1/h/d/nonsense", "hall/v1/h/d/cmd", "hall/v1/H/d/status", "x/v1/h/d/state"],
)
def test_topics_outside_the_contract_are_refused(bad: str) -> None:
    with pytest.raises(topics.TopicError):
        topics.parse(bad)
