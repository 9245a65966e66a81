"""Request body limits, enforced while the body is received, whatever its transfer encoding.

A request that is not signed in may send at most `anonymous_max_bytes` (sign-in bodies are small); a
signed-in one at most `max_body_bytes` (the largest upload and its form). A declared `Content-Length`
over the limit is refused before anything is read; a chunked body is counted as it arrives and refused
as soon as it passes the limit, the rest never read. Unauthenticated large bodies answer 401, over-large
ones 413, in the API's one error shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

OVERHEAD = 1024 * 1024  # multipart boundaries and form fields around the largest upload
ANONYMOUS_MAX_BYTES = 64 * 1024


class _BodyRefusedError(Exception):
    pass


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        *,
        authenticated: Callable[[Scope], bool] = lambda _scope: True,
        anonymous_max_bytes: int = ANONYMOUS_MAX_BYTES,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.anonymous_max_bytes = anonymous_max_bytes
        self.authenticated = authenticated

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        has_body = (declared.isdigit() and int(declared) > 0) or b"transfer-encoding" in headers
        if not has_body:
            await self.app(scope, receive, send)
            return
        signed_in = self.authenticated(scope)
        limit = self.max_body_bytes if signed_in else self.anonymous_max_bytes
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, signed_in)
            return
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise _BodyRefusedError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:  # whatever the app makes of the cut-off body, the answer is the refusal
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await self._refuse(send, signed_in)

    async def _refuse(self, send: Send, signed_in: bool) -> None:
        if signed_in:
            status, code = 413, "payload_too_large"
            message = f"the request body is larger than {self.max_body_bytes // 1024} KiB"
            details: dict[str, int] = {"max_bytes": self.max_body_bytes}
        else:
            status, code = 401, "unauthorized"
            message = "sign in first: a body this large is read only from a signed-in client"
            details = {"max_bytes": self.anonymous_max_bytes}
        body = json.dumps({"error": {"code": code, "message": message, "details": details}}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        if status == 401:
            headers.append((b"www-authenticate", b"Bearer"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
