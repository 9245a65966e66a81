"""docs/protocol.md and docs/asyncapi.yaml agree with the code of the contract."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from devices.protocol import asyncapi, topics
from devices.protocol.device import REMEMBERED_REQUESTS
from devices.protocol.health import HealthCode
from devices.protocol.payloads import MAX_PAYLOAD_BYTES, CompletionCode

DOCS = Path(__file__).resolve().parents[3] / "docs"
PROSE = (DOCS / "protocol.md").read_text()


def test_asyncapi_file_is_what_the_code_generates() -> None:
    on_disk = (DOCS / "asyncapi.yaml").read_text()
    assert on_disk == asyncapi.render(), "run: .venv/bin/python -m devices.protocol.asyncapi"


def test_every_asyncapi_channel_is_a_topic_of_the_code_and_back() -> None:
    document = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())
    seen = set()
    for template in document["channels"]:
        concrete = template.format(hall="hall-01", device="printer-1", name="print")
        parsed = topics.parse(concrete)
        assert parsed.hall == "hall-01"
        rebuilt = topics.topic(parsed.hall, parsed.device, parsed.channel, parsed.name)
        assert rebuilt == concrete
        seen.add(parsed.channel)
    assert seen == set(topics.Channel)


def test_asyncapi_schemas_list_exactly_the_model_fields() -> None:
    schemas = yaml.safe_load((DOCS / "asyncapi.yaml").read_text())["components"]["schemas"]
    for model in asyncapi.MODELS:
        assert set(schemas[model.__name__]["properties"]) == set(model.model_fields)


def test_prose_names_every_channel_code_and_field() -> None:
    for channel in topics.Channel:
        assert re.search(rf"hall/v1/<hall>/<device>/{channel.value}\b", PROSE), channel
    assert "hall/v1/<hall>/$controller/status" in PROSE
    for code in CompletionCode:
        assert f"| `{code.value}` |" in PROSE, code
    for health in HealthCode:
        assert f"`{health.value}`" in PROSE, health
    table = {
        match.group(1): match.group(2)
        for match in re.finditer(r"^\| (\w+) \| (.+) \|$", PROSE, flags=re.MULTILINE)
    }
    for model in asyncapi.MODELS:
        row = table[model.__name__]
        for field in model.model_fields:
            assert f"`{field}`" in row, (model.__name__, field)
    assert f"{MAX_PAYLOAD_BYTES:,}" in PROSE
    assert f"last {REMEMBERED_REQUESTS:,} ids" in PROSE
