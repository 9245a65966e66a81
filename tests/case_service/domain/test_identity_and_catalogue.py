from __future__ import annotations

import pytest

from case_service.domain.catalogue import changed_fields, make_code, normalise_item, validate_item
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
    with pytest.raises(InvalidInputError, match="承诺时限不能超过法定时限"):
        validate_item({**BASE, "promised_limit_days": 21})
    with pytest.raises(InvalidInputError, match="事项编码应形如"):
        validate_item({**BASE, "code": "SJ-511"})
    with pytest.raises(InvalidInputError, match="申请材料的名称在同一事项内不能重复"):
        validate_item({**BASE, "materials": [{"name": "a"}, {"name": "a"}]})


def test_the_code_letters_agree_with_the_kind_and_the_department() -> None:
    validate_item({**BASE, "kind": "行政许可", "department": "州市场监管局"})
    with pytest.raises(InvalidInputError, match="类型字母 XK 与事项类型「备案」"):
        validate_item({**BASE, "kind": "备案", "department": "州市场监管局"})
    with pytest.raises(InvalidInputError, match="部门字母 SJ 与实施部门「州教育局」"):
        validate_item({**BASE, "kind": "行政许可", "department": "州教育局"})


def test_the_guide_rules_fees_handling_type_and_depth() -> None:
    instant = {**BASE, "legal_limit_days": 0, "promised_limit_days": 0}
    with pytest.raises(InvalidInputError, match="法定时限至少为1个工作日"):
        validate_item(instant)
    validate_item({**instant, "handling_type": "即办件"})
    with pytest.raises(InvalidInputError, match="收费项目不能为空"):
        validate_item({**BASE, "fee_status": "收费", "fees": []})
    validate_item(
        {**BASE, "fee_status": "收费", "fees": [{"name": "登记费", "amount": "100元", "basis": ""}]}
    )
    with pytest.raises(InvalidInputError, match="网办深度"):
        validate_item({**BASE, "online_depth": 5})
    with pytest.raises(InvalidInputError, match="受理条件的类型应为文字列表"):
        validate_item({**BASE, "conditions": "具有营业执照"})
    with pytest.raises(InvalidInputError, match="现场勘验的类型应为是或否"):
        validate_item({**BASE, "site_visit": 1})
    with pytest.raises(InvalidInputError, match="收费项目每项应有名称"):
        validate_item({**BASE, "fee_status": "收费", "fees": [{"amount": "100元"}]})
    with pytest.raises(InvalidInputError, match="待部门核实中有未知字段 colour"):
        validate_item({**BASE, "unverified": ["colour"]})


def test_a_guide_field_left_out_is_pending_verification() -> None:
    item = normalise_item({**BASE, "legal_basis": "《食品安全法》第三十五条", "fee_status": "不收费"})
    assert "legal_basis" not in item["unverified"] and "fee_status" not in item["unverified"]
    assert {"conditions", "consult_phone", "handling_type"} <= set(item["unverified"])
    assert item["materials"] == [
        {
            "name": "申请书",
            "required": True,
            "form": "original",
            "copies": 1,
            "template": "",
            "condition": "",
            "tolerated": False,
            "medium": "paper",
            "sample": "",
        }
    ]
    assert normalise_item(item) == item


def test_changed_fields_drive_versions() -> None:
    assert changed_fields(BASE, {"promised_limit_days": 5}) == []
    assert changed_fields(BASE, {"promised_limit_days": 3, "code": "x"}) == ["promised_limit_days"]
