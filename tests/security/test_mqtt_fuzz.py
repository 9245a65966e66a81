"""Fuzzed MQTT payloads and topics against a running controller with its queue, through real Mosquitto.

A simulated hall (controller, caller keypads, evaluators, displays) is mid-morning: tickets issued, a
clerk signed in and serving, a rating pending. Then hypothesis publishes, from the real devices' own
connections and from a stranger's, event bodies outside the contract and topics outside the tree.
The properties: the controller never dies, every garbage event is handled (refused), nothing in the
queue's book changes, and afterwards the hall still works.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as paho
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import BaseModel, ValidationError

from devices.protocol import queue as contract
from devices.protocol import topics
from hall_controller.link import SUBSCRIBED_CHANNELS
from tests.fixtures.mqtt import Broker
from tests.hall_controller.harness import wait_until
from tests.hall_controller.queue.morning import SimHall, sim_hall

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
key_like = st.fixed_dictionaries(
    {"key": st.sampled_from([k.value for k in contract.KeyName]) | st.text(max_size=12)},
    optional={
        "number": st.text(max_size=8) | st.integers(),
        "to_window": st.integers(-5, 500) | st.text(max_size=3),
        "service": json_values,
        "clerk": st.text(max_size=80) | st.integers(),
        "extra": json_values,
    },
)
rated_like = st.fixed_dictionaries(
    {"rating_id": st.text(max_size=70), "level": st.integers(-3, 9) | json_values},
    optional={"dimensions": st.dictionaries(st.text(max_size=10), st.integers(-2, 8)), "x": json_values},
)


_TOPIC_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn"))


def _is_valid(model: type[BaseModel], data: object) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def _book_state(hall: SimHall) -> Any:
    return hall.read(lambda book: copy.deepcopy((book.tickets, book.windows, book.ratings, book.calls)))


@pytest.fixture(scope="module")
def morning(mosquitto: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimHall]:
    with sim_hall(mosquitto.url, tmp_path_factory.mktemp("fuzz-hall")) as hall:
        for _ in range(3):
            assert (
                hall.api(
                    "POST", "/tickets", json={"service": "business", "source": "window", "print_slip": False}
                ).status_code
                == 201
            )
        hall.press(1, "sign-in", clerk="clerk1")
        hall.press(1, "next")
        yield hall


@pytest.fixture(scope="module")
def stranger(mosquitto: Broker) -> Iterator[paho.Client]:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="")
    client.connect(mosquitto.host, mosquitto.port)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


@FUZZ
@given(keys=st.lists(key_like, min_size=1, max_size=5), ratings=st.lists(rated_like, max_size=3))
def test_garbage_keypad_and_evaluator_events_change_nothing(
    morning: SimHall, keys: list[dict[str, Any]], ratings: list[dict[str, Any]]
) -> None:
    assume(not any(_is_valid(contract.KeyPress, data) for data in keys))
    assume(not any(_is_valid(contract.Rated, data) for data in ratings))
    extension = morning.extension
    before, handled = _book_state(morning), extension.events_handled
    window = morning.windows[1]
    for data in keys:
        window.keypad.publish_event(contract.KEY_EVENT, data)
    for data in ratings:
        window.evaluator.publish_event(contract.RATED_EVENT, data)
    sent = len(keys) + len(ratings)
    assert wait_until(lambda: extension.events_handled >= handled + sent, timeout=10), "events unheard"
    assert _book_state(morning) == before


segment = st.text(_TOPIC_CHARS, max_size=12)
hall_topics = st.one_of(
    st.lists(segment, max_size=5).map(lambda parts: parts),
    st.tuples(segment, st.sampled_from([c.value for c in topics.Channel])).map(list),
    st.tuples(segment, st.sampled_from([c.value for c in topics.Channel]), segment).map(list),
)


@FUZZ
@given(
    # Mosquitto itself drops a client that sends control characters or bad UTF-8 in a topic.
    suffix=hall_topics,
    payload=st.binary(min_size=1, max_size=300) | json_values.map(lambda value: json.dumps(value).encode()),
)
def test_garbage_topics_and_bodies_from_a_stranger_are_refused_and_change_nothing(
    morning: SimHall, stranger: paho.Client, suffix: list[str], payload: bytes
) -> None:
    hall = morning.settings.hall_id
    topic = "/".join(["hall", "v1", hall, *suffix])
    assume(not any(char in topic for char in "+#") and len(topic.encode()) < 65000)
    delivered = any(paho.topic_matches_sub(topics.hall_filter(hall, c), topic) for c in SUBSCRIBED_CHANNELS)
    controller = morning.controller
    before, devices = _book_state(morning), controller.devices()
    rejected = controller.rejected_total()
    stranger.publish(topic, payload, qos=1)
    # A marker the controller surely refuses, on the same connection: once it is counted, the message
    # before it has been handled too (one publisher's messages arrive in order).
    stranger.publish(topics.topic(hall, "fuzz-marker", topics.Channel.STATE), b"marker", qos=1)
    assert wait_until(lambda: controller.rejected_total() >= rejected + 1 + delivered)
    # Every garbage message the controller receives is refused and counted, exactly once.
    assert controller.rejected_total() == rejected + 1 + delivered
    assert _book_state(morning) == before
    assert [(d.device_id, d.availability, d.instance) for d in controller.devices()] == [
        (d.device_id, d.availability, d.instance) for d in devices
    ]


def test_after_the_fuzzing_the_hall_still_serves(morning: SimHall) -> None:
    number = morning.read(lambda book: book.windows[1].ticket)
    assert number is not None
    morning.press(1, "start")
    morning.press(1, "finish", outcome="办结")
    assert morning.read(lambda book, n=number: book.tickets[n].state.value) != "waiting"
    morning.press(1, "next")
    assert morning.read(lambda book: book.windows[1].ticket) not in (None, number)
