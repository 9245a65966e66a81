from __future__ import annotations

import pytest

from case_service.domain.catalogue import changed_fields, make_code, validate_item
from case_service.domain.errors import InvalidInputError
from case_service.domain.identity import make_id_number, normalise_id_number


def test_id_numbers_are_checked_and_never_echoed() -> None:
    good = make_id_number("11010519491231002")
    assert good == "11010519491231002X"
    assert normalise_id_number(good.lower()) == good
    wrong = good[:-1] + "1"
    with pytest.raises(InvalidInputError) as caught:
        normalise_id_number(wrong)
    assert wrong not in caught.value.message
    with pytest.raises(InvalidInputError, match="birth date"):
        normalise_id_number(make_id_number("11010519491331002"))
    with pytest.raises(InvalidInputError, match="18 characters"):
        normalise_id_number("12345")


BASE = {
    "code": make_code("513200", "行政许可", "州市场监管局", 511),
    "legal_limit_days": 20,
    "promised_limit_days": 5,
    "category": "经营类",
    "status": "active",
    "channels": ["window", "kiosk"],
    "materials": [{"name": "申请书"}],
}


def test_the_code_rule_and_the_promise_within_the_legal_limit() -> None:
    assert BASE["code"] == "513200-XK-SJ-0511"
    validate_item(BASE)
    with pytest.raises(InvalidInputError, match="may not exceed"):
        validate_item({**BASE, "promised_limit_days": 21})
    with pytest.raises(InvalidInputError, match="code"):
        validate_item({**BASE, "code": "SJ-511"})
    with pytest.raises(InvalidInputError, match="unique"):
        validate_item({**BASE, "materials": [{"name": "a"}, {"name": "a"}]})


def test_changed_fields_drive_versions() -> None:
    assert changed_fields(BASE, {"promised_limit_days": 5}) == []
    assert changed_fields(BASE, {"promised_limit_days": 3, "code": "x"}) == ["promised_limit_days"]
