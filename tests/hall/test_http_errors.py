"""Reading the hall's one error body, `{"error": {"code", "message", "details"}}`: one reader for the staff
pages, the kiosk and the soak (the controller's real answers: tests/hall_controller/test_error_shape.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hall.http_errors import body_of, error_code, error_message, error_response


def test_the_one_shape_gives_its_code_and_message() -> None:
    answer = error_response(409, "window_busy", "窗口正在办理", {"ticket": "A001"})
    body = body_of(httpx.Response(answer.status_code, content=bytes(answer.body)))
    assert (error_code(body), error_message(body)) == ("window_busy", "窗口正在办理")


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "refused",
        {},
        {"error": "hoarding"},  # an older shape: no longer read
        {"detail": {"error": "OPEN_NOT_DETECTED"}},  # FastAPI's HTTPException of old: no longer read
        {"detail": "too many wrong attempts"},
        {"error": {"code": 7, "message": ["x"]}},
        {"error": {"details": None}},
    ],
)
def test_anything_else_has_no_code_and_no_message(body: Any) -> None:
    assert (error_code(body), error_message(body)) == ("", "")


@pytest.mark.parametrize("content", [b"", b"<html>502 Bad Gateway</html>", b"\xff\xfe"])
def test_an_answer_without_a_json_body_reads_as_none(content: bytes) -> None:
    assert body_of(httpx.Response(502, content=content)) is None
