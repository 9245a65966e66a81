"""“一件事一次办” packages' pure rules: the one set of materials, the package's status, release together."""

from __future__ import annotations

import pytest

from case_service.catalogue.packages import bundled
from case_service.catalogue.service import bundled_items
from case_service.domain import packages
from case_service.domain.errors import ConflictError, InvalidInputError
from case_service.domain.intake import Mark

NAME = {"code": "A", "materials": [{"name": "名称预先核准申请书"}, {"name": "全体投资人身份证明"}]}
LICENCE = {
    "code": "B",
    "materials": [
        {"name": "公司登记(备案)申请书"},
        {"name": "全体投资人身份证明", "required": False, "form": "copy"},
        {"name": "营业执照", "tolerated": True},
    ],
}
FOOD = {
    "code": "C",
    "materials": [{"name": "营业执照", "tolerated": True, "copies": 2}, {"name": "公司登记（备案）申请书"}],
}


def test_the_union_names_a_shared_material_once_with_the_strictest_terms() -> None:
    shared = packages.union_materials([NAME, LICENCE, FOOD])
    assert [m.name for m in shared] == [
        "名称预先核准申请书",
        "全体投资人身份证明",
        "公司登记(备案)申请书",
        "营业执照",
    ]
    by_name = {m.name: m for m in shared}
    # Required by one item, optional for another: required; an original beats a copy.
    ids = by_name["全体投资人身份证明"]
    assert ids.required and ids.form == "original" and ids.items == ("A", "B")
    # Full-width and half-width brackets are the same material.
    assert by_name["公司登记(备案)申请书"].items == ("B", "C")
    licence = by_name["营业执照"]
    assert licence.tolerated and licence.copies == 2


def test_tolerated_only_when_every_item_naming_it_tolerates_it() -> None:
    strict = {"code": "D", "materials": [{"name": "营业执照"}]}
    shared = {m.name: m for m in packages.union_materials([LICENCE, strict])}
    assert not shared["营业执照"].tolerated


def test_each_item_gets_the_marks_of_its_own_materials_under_its_own_names() -> None:
    marks = [
        Mark("公司登记(备案)申请书", "received", "original", 1, True),
        Mark("营业执照", "tolerated", "original", 1),
        Mark("名称预先核准申请书", "received", "original", 1, True),
    ]
    food = packages.marks_for_item(FOOD, marks)
    assert [(m.name, m.status) for m in food] == [
        ("营业执照", "tolerated"),
        ("公司登记（备案）申请书", "received"),
    ]


@pytest.mark.parametrize(
    ("states", "status"),
    [
        (["sealed", "in_review"], packages.PackageStatus.IN_PROGRESS),
        (["sealed", "approved"], packages.PackageStatus.IN_PROGRESS),  # no certificate yet
        (["sealed", "denied"], packages.PackageStatus.READY),
        (["sealed", "handled", "result_received"], packages.PackageStatus.READY),
        (["ready_for_release", "denied"], packages.PackageStatus.RELEASED),
        (["delivered", "ready_for_pickup"], packages.PackageStatus.RELEASED),
        (["denied", "not_accepted"], packages.PackageStatus.CLOSED),
        ([], packages.PackageStatus.IN_PROGRESS),
    ],
)
def test_the_package_status_follows_its_cases(states: list[str], status: packages.PackageStatus) -> None:
    assert packages.status_of(states) is status


def test_a_case_is_not_released_while_another_of_its_package_is_being_decided() -> None:
    members = [("N1", "sealed"), ("N2", "in_review"), ("N3", "denied")]
    assert packages.release_blockers(members) == [("N2", "in_review")]
    with pytest.raises(ConflictError) as refused:
        packages.require_releasable("N1", members, {"in_review": "审查中"})
    assert "N2（审查中）" in refused.value.message and refused.value.details == {"waiting": ["N2"]}
    packages.require_releasable("N1", [("N1", "sealed"), ("N3", "denied")], {})  # all decided: goes


def test_the_bundled_packages_are_real_items_of_seed_003_with_their_basis() -> None:
    catalogue = {item["code"]: item for item in bundled_items()}
    data = bundled()
    found = [packages.definition(raw, catalogue) for raw in data["packages"]]
    assert len(found) >= 3 and all(len(p.items) >= 2 and p.basis for p in found)
    restaurant = next(p for p in found if p.name == "我要开餐馆")
    assert [catalogue[code]["name"] for code in restaurant.items][1:] == [
        "企业设立、变更、注销登记",
        "食品(含保健食品)经营许可",
    ]
    # At least one package spans several departments.
    assert any(len({catalogue[c]["department"] for c in p.items}) > 1 for p in found)
    assert any("阿府办函〔2019〕88号" in line for line in data["basis"])


def test_a_bad_definition_is_refused_in_chinese() -> None:
    catalogue = {"X": {"department": "州市场监管局"}, "Y": {"department": "州人社局"}}
    with pytest.raises(InvalidInputError, match="至少应包含两个事项"):
        packages.definition(
            {"code": "YJS-009", "name": "n", "items": ["X"], "lead_department": "州人社局"}, catalogue
        )
    with pytest.raises(InvalidInputError, match="清单中没有的事项"):
        packages.definition(
            {"code": "YJS-009", "name": "n", "items": ["X", "Z"], "lead_department": "州人社局"}, catalogue
        )
    with pytest.raises(InvalidInputError, match="牵头部门"):
        packages.definition(
            {"code": "YJS-009", "name": "n", "items": ["X", "Y"], "lead_department": "州教育局"}, catalogue
        )
