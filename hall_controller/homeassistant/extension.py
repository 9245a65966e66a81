"""Publishes Home Assistant discovery for every described device, when the hall asks for it."""

from __future__ import annotations

import logging

from hall_controller.extensions import ControllerContext, Extension
from hall_controller.homeassistant.discovery import discovery_messages
from hall_controller.registry import DeviceRecord

log = logging.getLogger(__name__)


class HomeAssistantDiscovery(Extension):
    name = "homeassistant"

    def __init__(self, context: ControllerContext) -> None:
        super().__init__(context)
        self._announced: dict[str, str] = {}  # device id → the description instance announced

    @property
    def enabled(self) -> bool:
        return self.context.settings.controller.home_assistant

    def start(self) -> None:
        if self.enabled:
            log.info(
                "Home Assistant discovery on, prefix %s",
                self.context.settings.controller.home_assistant_prefix,
            )

    def on_device(self, record: DeviceRecord) -> None:
        description = record.description
        if not self.enabled or description is None:
            return
        if self._announced.get(record.device_id) == description.instance:
            return
        prefix = self.context.settings.controller.home_assistant_prefix
        messages = discovery_messages(prefix, self.context.hall_id, record.device_id, description)
        if all(self.context.publish(topic, payload, retain=True) for topic, payload in messages.items()):
            self._announced[record.device_id] = description.instance


EXTENSION = HomeAssistantDiscovery
