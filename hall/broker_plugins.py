"""The embedded broker's authentication and topic check (amqtt 0.12 plugins, loaded by dotted path).

- `HallAuthPlugin`: a user name and password from Mosquitto's password file (the `$7$` hashes of the
  enrolled devices, written by hall_controller.mosquitto_acl); the file is re-read when it changes, so a
  revoked device is refused at its next connection. No user name, no entry or a wrong password: refused.
- `HallTopicPlugin`: the contract's ACL (devices.protocol.acl) for every publish, subscribe and delivery.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from amqtt.contexts import Action, BaseContext
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from devices.protocol.acl import may_read, may_write
from devices.protocol.credentials import verify_password

log = logging.getLogger(__name__)


class PasswordFile:
    """Mosquitto's `user:hash` lines, re-read whenever the file changes (or appears, or goes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._users: dict[str, str] = {}

    def users(self) -> dict[str, str]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._seen, self._users = None, {}
            return self._users
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            users = {}
            for line in self.path.read_text(encoding="utf-8").splitlines():
                name, sep, stored = line.strip().partition(":")
                if sep and name and not name.startswith("#"):
                    users[name] = stored
            self._seen, self._users = seen, users
            log.info("broker password file %s: %d user(s)", self.path, len(users))
        return self._users

    def check(self, username: str | None, password: str | None) -> bool:
        stored = self.users().get(username or "")
        return stored is not None and password is not None and verify_password(stored, password)


class HallAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]
    @dataclass
    class Config:
        password_file: str = ""

    def __init__(self, context: BaseContext) -> None:
        super().__init__(context)
        self.passwords = PasswordFile(Path(self.config.password_file))

    async def authenticate(self, *, session: Session) -> bool:
        password = session.password
        if isinstance(password, bytes | bytearray):
            password = bytes(password).decode("utf-8", "replace")
        accepted = self.passwords.check(session.username, password)
        if not accepted:
            log.warning("broker refused a connection (user %r)", session.username)
        return accepted


class HallTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]
    @dataclass
    class Config:
        pass

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        username = session.username if session is not None else None
        if topic is None:
            return False
        if action is Action.PUBLISH:
            return may_write(username, topic)
        return may_read(username, topic)
