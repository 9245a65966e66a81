"""The bundled service guides (办事指南) of seed 003: complete, consistent, honest about the unknown."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from case_service.domain.catalogue import DEPARTMENT_CODES, KIND_CODES

DATA = resources.files("case_service.catalogue") / "data"
LISTING: list[dict[str, Any]] = json.loads((DATA / "items_003.json").read_text(encoding="utf-8"))["items"]
DETAILS: dict[str, dict[str, Any]] = json.loads((DATA / "details.json").read_text(encoding="utf-8"))
UNVERIFIED = "待部门核实"

# Every element of the guide and the type its value has.
GUIDE_FIELDS: dict[str, type] = {
    "legal_basis": str,
    "implementing_unit": str,
    "applicant_type": str,
    "category": str,
    "legal_limit_days": int,
    "promised_limit_days": int,
    "stage_budgets": dict,
    "basic_code": str,
    "conditions": list,
    "materials": list,
    "fee_status": str,
    "fees": list,
    "handling_type": str,
    "result_name": str,
    "result_sample": str,
    "service_location": str,
    "service_hours": str,
    "online_depth": int,
    "visits_required": int,
    "consult_phone": str,
    "complaint_phone": str,
    "joint_departments": list,
    "review_points": list,
    "site_visit": bool,
    "higher_authority": str,
    "unverified": list,
}
# Elements an item's guide may give (the default applies otherwise): the levels of approval before the
# decision (承办 → 审核 → 审批), internal to the department and so always pending its check where given.
OPTIONAL_FIELDS: dict[str, type] = {"approval_levels": int}
MATERIAL_FIELDS: dict[str, type] = {
    "name": str,
    "required": bool,
    "form": str,
    "copies": int,
    "template": str,
    "condition": str,
    "tolerated": bool,
    "medium": str,
    "sample": str,
}


def _items() -> list[Any]:
    return [
        pytest.param(raw, DETAILS[raw["code"]], id=raw["code"]) for raw in LISTING if raw["code"] in DETAILS
    ]


def test_every_item_of_seed_003_has_its_guide() -> None:
    codes = [raw["code"] for raw in LISTING]
    assert len(codes) == 75
    assert sorted(DETAILS) == sorted(codes)
    missing = {
        code: sorted(set(GUIDE_FIELDS) - set(DETAILS[code]))
        for code in codes
        if set(GUIDE_FIELDS) - set(DETAILS[code])
    }
    assert missing == {}


@pytest.mark.parametrize(("raw", "guide"), _items())
def test_a_guide_is_well_formed(raw: dict[str, Any], guide: dict[str, Any]) -> None:
    assert sorted(set(GUIDE_FIELDS) - set(guide)) == []
    assert {name: type(guide[name]) for name in GUIDE_FIELDS} == GUIDE_FIELDS
    assert all(isinstance(days, int) and days > 0 for days in guide["stage_budgets"].values())
    assert 0 < guide["promised_limit_days"] <= guide["legal_limit_days"]
    assert guide["handling_type"] in ("即办件", "承诺件")
    # 即办件 are decided when they are accepted (the next working day at the latest).
    assert guide["handling_type"] == "承诺件" or guide["promised_limit_days"] <= 1
    assert guide["online_depth"] in range(5) and guide["visits_required"] in (0, 1)
    assert guide["legal_basis"].startswith("《") and guide["implementing_unit"].startswith("阿坝州")
    assert guide["conditions"] and guide["review_points"] and guide["result_name"]
    assert all(isinstance(line, str) and line for line in guide["conditions"] + guide["review_points"])
    assert guide["service_location"].startswith("阿坝州政务服务中心")
    assert guide["complaint_phone"] == "12345"
    # The code's letters agree with the item's kind and department, its category and applicant with the seed.
    _, kind_letters, department_letters, _ = raw["code"].split("-")
    assert KIND_CODES[raw["kind"]] == kind_letters
    assert DEPARTMENT_CODES[raw["department"]] == department_letters
    assert (guide["category"], guide["applicant_type"]) == (raw["category"], raw["applicant_type"])
    if raw["kind"] == "审核转报" or "初审" in raw["name"]:
        assert guide["higher_authority"]


@pytest.mark.parametrize(("raw", "guide"), _items())
def test_fees_match_the_fee_status(raw: dict[str, Any], guide: dict[str, Any]) -> None:
    status, fees = guide["fee_status"], guide["fees"]
    assert status in ("不收费", "收费", UNVERIFIED)
    if status == "收费":
        assert fees and all(fee["name"] and fee["amount"] and fee["basis"].startswith("《") for fee in fees)
    else:
        assert fees == []
    assert (status == UNVERIFIED) == ("fees" in guide["unverified"])


@pytest.mark.parametrize(("raw", "guide"), _items())
def test_what_is_unknown_is_named_and_shown_as_unknown(raw: dict[str, Any], guide: dict[str, Any]) -> None:
    unverified = guide["unverified"]
    assert len(unverified) == len(set(unverified))
    assert set(unverified) <= (set(GUIDE_FIELDS) | set(OPTIONAL_FIELDS)) - {"unverified"}
    for name, kind in OPTIONAL_FIELDS.items():
        if name in guide:
            assert type(guide[name]) is kind and name in unverified
    assert guide.get("approval_levels", 1) in (1, 2, 3)
    # A value that says it is unknown is listed as unknown; a basic code is given or marked unknown.
    shown_unknown = {name for name, value in guide.items() if value == UNVERIFIED}
    assert shown_unknown <= set(unverified)
    assert guide["basic_code"] or "basic_code" in unverified


@pytest.mark.parametrize(("raw", "guide"), _items())
def test_materials_are_complete_and_unambiguous(raw: dict[str, Any], guide: dict[str, Any]) -> None:
    materials = guide["materials"]
    assert materials, "a licence always asks for at least its application"
    names = [material["name"] for material in materials]
    assert len(names) == len(set(names))
    for material in materials:
        types = {name: type(material.get(name)) for name in MATERIAL_FIELDS}
        assert types == MATERIAL_FIELDS, material["name"]
        assert material["form"] in ("original", "copy", "electronic")
        assert material["medium"] in ("paper", "electronic", "both")
        assert material["copies"] >= 1
        # A material that is not always required says when it is.
        assert material["required"] or material["condition"], material["name"]
        assert not (material["tolerated"] and not material["required"]), material["name"]
