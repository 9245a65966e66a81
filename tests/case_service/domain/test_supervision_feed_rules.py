"""审管分离's feed rules, pure: the signature, the retry delays, who supervises."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from case_service.config import FeedTarget
from case_service.domain import supervision_feed as feed


def test_the_signature_is_hmac_sha256_over_the_exact_bytes() -> None:
    data = feed.body({"event": "approved", "case_number": "20250926-1A2B3C4D", "item_name": "企业设立"})
    assert data == '{"case_number":"20250926-1A2B3C4D","event":"approved","item_name":"企业设立"}'.encode()
    signature = feed.sign("k" * 32, data)
    assert signature.startswith("sha256=") and len(signature) == len("sha256=") + 64
    assert feed.verify("k" * 32, data, signature)
    assert not feed.verify("k" * 31 + "x", data, signature)  # another key
    assert not feed.verify("k" * 32, data + b" ", signature)  # another body
    assert not feed.verify("k" * 32, data, None) and not feed.verify("k" * 32, data, "")


def test_retries_wait_longer_each_time_up_to_an_hour() -> None:
    delays = [feed.retry_delay(n, 30).total_seconds() for n in range(1, 10)]
    assert delays[:4] == [30, 60, 120, 240]
    assert max(delays) == 3600 and delays == sorted(delays)
    assert feed.retry_delay(100, 30) == dt.timedelta(hours=1)


def test_the_item_department_supervises_unless_the_guide_names_another() -> None:
    assert feed.supervising_department("州市场监管局", {}) == "州市场监管局"
    assert feed.supervising_department("州市场监管局", {"supervising_department": " 州卫健委 "}) == "州卫健委"


def test_a_webhook_needs_an_http_url_and_a_long_secret() -> None:
    FeedTarget(url="https://jg.example.gov/feed", secret="s" * 32)
    with pytest.raises(ValidationError, match="at least 32"):
        FeedTarget(url="https://jg.example.gov/feed", secret="short")
    with pytest.raises(ValidationError, match="http"):
        FeedTarget(url="ftp://jg.example.gov/feed", secret="s" * 32)
