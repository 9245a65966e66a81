"""Catalogue rules (事项清单): the coding rule, limits, versions.

Code rule: `<region>-<kind>-<department>-<number>`, e.g. `513200-XK-SJ-0511`:
region = the administrative division code of the issuing government (513200 阿坝州), kind = two letters
for the power type (XK 行政许可, GG 公共服务, SZ 审核转报, BA 备案, QT 其他), department = two letters
(DEPARTMENT_CODES), number = the item's number in the source list, four digits. A code never changes
for the life of the item; changes make new versions under the same code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from case_service.domain.errors import InvalidInputError

CODE_RE = re.compile(r"^\d{6}-[A-Z]{2}-[A-Z]{2}-\d{4}$")
KIND_CODES: Mapping[str, str] = {
    "行政许可": "XK",
    "公共服务": "GG",
    "审核转报": "SZ",
    "备案": "BA",
    "其他": "QT",
}
CATEGORIES = ("工程类", "经营类", "公民类")
CHANNELS = ("window", "kiosk", "online")
STATUSES = ("active", "suspended", "handed_down")
DEPARTMENT_CODES: Mapping[str, str] = {
    "州教育局": "JY",
    "州司法局": "SF",
    "州财政局": "CZ",
    "州人社局": "RS",
    "州科技局": "KJ",
    "州农业农村局": "NY",
    "州商务经济合作局": "SW",
    "州文体旅游局": "WL",
    "州市场监管局": "SJ",
    "州广电局": "GD",
}
# Fields whose change makes a new version (everything a case's handling depends on).
VERSIONED_FIELDS = (
    "name",
    "department",
    "kind",
    "category",
    "legal_basis",
    "implementing_unit",
    "applicant_type",
    "materials",
    "legal_limit_days",
    "promised_limit_days",
    "stage_budgets",
    "fees",
    "unified_seal",
    "channels",
    "joint_departments",
    "status",
    "exercise_level_note",
)


def make_code(region: str, kind: str, department: str, number: int) -> str:
    return f"{region}-{KIND_CODES.get(kind, 'QT')}-{DEPARTMENT_CODES.get(department, 'QT')}-{number:04d}"


def validate_item(item: Mapping[str, Any]) -> None:
    """Rules the database cannot express; raises InvalidInputError naming the field."""
    if not CODE_RE.match(str(item.get("code", ""))):
        raise InvalidInputError("code must look like 513200-XK-SJ-0511 (region-kind-department-number)")
    legal, promised = item["legal_limit_days"], item["promised_limit_days"]
    if promised > legal:
        raise InvalidInputError(
            f"promised_limit_days ({promised}) may not exceed legal_limit_days ({legal})",
            details={"field": "promised_limit_days"},
        )
    if item["category"] not in CATEGORIES:
        raise InvalidInputError(f"category must be one of {', '.join(CATEGORIES)}")
    if item["status"] not in STATUSES:
        raise InvalidInputError(f"status must be one of {', '.join(STATUSES)}")
    bad_channels = set(item["channels"]) - set(CHANNELS)
    if bad_channels:
        raise InvalidInputError(f"unknown channel(s): {', '.join(sorted(bad_channels))}")
    names = [material["name"] for material in item["materials"]]
    if len(names) != len(set(names)):
        raise InvalidInputError("material names must be unique within an item")


def changed_fields(current: Mapping[str, Any], proposed: Mapping[str, Any]) -> list[str]:
    return [name for name in VERSIONED_FIELDS if name in proposed and proposed[name] != current.get(name)]
