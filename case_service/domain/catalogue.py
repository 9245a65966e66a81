"""Catalogue rules (事项清单): the coding rule, the guide's fields, limits, versions.

Code rule: `<region>-<kind>-<department>-<number>`, e.g. `513200-XK-SJ-0511`:
region = the administrative division code of the issuing government (513200 阿坝州), kind = two letters
for the power type (XK 行政许可, GG 公共服务, SZ 审核转报, BA 备案, QT 其他), department = two letters
(DEPARTMENT_CODES), number = the item's number in the source list, four digits. A code never changes
for the life of the item; changes make new versions under the same code.

The guide's fields (办事指南要素, GUIDE_DEFAULTS) are stored together in one JSON value per version. A field
named in `unverified` is shown as "待部门核实" wherever the item is shown; a field the bundled data does not
give at all is added to `unverified` by `normalise_item`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from case_service.domain.errors import InvalidInputError

PENDING = "待部门核实"
CODE_RE = re.compile(r"^(\d{6})-([A-Z]{2})-([A-Z]{2})-(\d{4})$")
KIND_CODES: Mapping[str, str] = {
    "行政许可": "XK",
    "公共服务": "GG",
    "审核转报": "SZ",
    "备案": "BA",
    "其他": "QT",
}
CATEGORIES = ("工程类", "经营类", "公民类")
# Life events (生活事件) to browse the catalogue by: a person's (出生 … 身后) and an enterprise's (开办企业 …
# 注销歇业). An item belongs to the events in which people need it (none, one or several); an event no
# item belongs to is still a valid value, for the items a hall adds.
PERSONAL_LIFE_EVENTS = ("出生", "上学", "就业", "结婚", "建房", "退休", "身后")
BUSINESS_LIFE_EVENTS = ("开办企业", "经营许可", "资质认证", "招工用工", "工程建设", "农林牧渔", "注销歇业")
LIFE_EVENTS = (*PERSONAL_LIFE_EVENTS, *BUSINESS_LIFE_EVENTS)
CHANNELS = ("window", "kiosk", "online")
STATUSES = ("active", "suspended", "handed_down")
FORMS = ("original", "copy", "electronic")
MEDIA = ("paper", "electronic", "both")
FEE_STATUSES = ("不收费", "收费", PENDING)
HANDLING_TYPES = ("即办件", "承诺件")
ONLINE_DEPTHS: Mapping[int, str] = {
    0: "窗口办理",
    1: "网上咨询",
    2: "网上预审",
    3: "网上受理",
    4: "全程网办",
}
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
# The guide's fields beyond the item's columns, with the value an item has before anyone writes one.
GUIDE_DEFAULTS: Mapping[str, Any] = {
    "basic_code": "",
    "conditions": [],
    "fee_status": PENDING,
    "handling_type": "承诺件",
    "result_name": "",
    "result_sample": "",
    "service_location": "",
    "service_hours": "",
    "online_depth": 0,
    "visits_required": 1,
    "consult_phone": "",
    "complaint_phone": "",
    "review_points": [],
    "approval_levels": 1,  # 承办 → 审核 → 审批: how many levels sign before the decision (domain.review)
    "site_visit": False,
    "higher_authority": "",
    "life_events": [],
    "unverified": [],
}
GUIDE_FIELDS = tuple(GUIDE_DEFAULTS)
# A guide field the bundled data leaves out is pending verification (the rest have a true default).
_PENDING_WHEN_MISSING = (
    "conditions",
    "legal_basis",
    "materials",
    "fee_status",
    "handling_type",
    "result_name",
    "service_location",
    "service_hours",
    "online_depth",
    "visits_required",
    "consult_phone",
    "complaint_phone",
)
MATERIAL_DEFAULTS: Mapping[str, Any] = {
    "required": True,
    "form": "original",
    "copies": 1,
    "template": "",
    "condition": "",
    "tolerated": False,
    "medium": "paper",
    "sample": "",
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
    *GUIDE_FIELDS,
)
# Chinese names, for errors and the spreadsheet's headers.
FIELD_LABELS: Mapping[str, str] = {
    "code": "事项编码",
    "name": "事项名称",
    "basic_code": "基本编码",
    "department": "实施部门",
    "implementing_unit": "实施主体",
    "kind": "事项类型",
    "category": "事项类别",
    "applicant_type": "服务对象",
    "legal_basis": "设定依据",
    "conditions": "受理条件",
    "materials": "申请材料",
    "legal_limit_days": "法定时限",
    "promised_limit_days": "承诺时限",
    "handling_type": "办件类型",
    "fee_status": "收费情况",
    "fees": "收费项目",
    "result_name": "办理结果",
    "result_sample": "结果样本",
    "service_location": "办理地点",
    "service_hours": "办理时间",
    "online_depth": "网办深度",
    "visits_required": "到现场次数",
    "consult_phone": "咨询电话",
    "complaint_phone": "投诉电话",
    "joint_departments": "联办部门",
    "review_points": "审查要点",
    "approval_levels": "审批层级",
    "site_visit": "现场勘验",
    "higher_authority": "上级机关",
    "life_events": "生活事件",
    "unified_seal": "统一盖章",
    "channels": "办理渠道",
    "stage_budgets": "环节时限",
    "status": "状态",
    "exercise_level_note": "行使层级",
    "unverified": "待部门核实",
}


def is_filing(code: str) -> bool:
    """A 备案 item, by its code's kind letters (BA): the code rule ties them to the item's kind."""
    match = CODE_RE.match(code)
    return match is not None and match.group(2) == KIND_CODES["备案"]


def make_code(region: str, kind: str, department: str, number: int) -> str:
    return f"{region}-{KIND_CODES.get(kind, 'QT')}-{DEPARTMENT_CODES.get(department, 'QT')}-{number:04d}"


def normalise_material(material: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": material["name"],
        **{key: material.get(key, value) for key, value in MATERIAL_DEFAULTS.items()},
    }


def normalise_item(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Every guide field present; materials complete; a guide field not given at all is pending."""
    item = dict(raw)
    missing = [name for name in _PENDING_WHEN_MISSING if name not in raw]
    if raw.get("fee_status") == PENDING:
        missing.append("fee_status")
    for name, default in GUIDE_DEFAULTS.items():
        item.setdefault(name, list(default) if isinstance(default, list) else default)
    item["materials"] = [normalise_material(material) for material in item.get("materials", [])]
    unverified = list(item["unverified"])
    item["unverified"] = unverified + [name for name in missing if name not in unverified]
    return item


def _fail(field: str, message: str) -> InvalidInputError:
    """`message` reads after the field's Chinese name: 承诺时限 + 不能超过法定时限."""
    return InvalidInputError(f"{FIELD_LABELS.get(field, field)}{message}", details={"field": field})


def validate_item(item: Mapping[str, Any]) -> None:
    """Rules the database cannot express; raises InvalidInputError naming the field (in Chinese)."""
    match = CODE_RE.match(str(item.get("code", "")))
    if match is None:
        raise _fail("code", "应形如 513200-XK-SJ-0511(区划-类型-部门-序号)")
    kind, department = str(item.get("kind", "")), str(item.get("department", ""))
    if kind in KIND_CODES and KIND_CODES[kind] != match.group(2):
        raise _fail("code", f"的类型字母 {match.group(2)} 与事项类型「{kind}」({KIND_CODES[kind]})不符")
    if department in DEPARTMENT_CODES and DEPARTMENT_CODES[department] != match.group(3):
        raise _fail(
            "code",
            f"的部门字母 {match.group(3)} 与实施部门「{department}」({DEPARTMENT_CODES[department]})不符",
        )
    legal, promised = item["legal_limit_days"], item["promised_limit_days"]
    if promised > legal:
        raise _fail("promised_limit_days", f"不能超过法定时限(承诺{promised}个工作日,法定{legal}个工作日)")
    if legal < 1 and item.get("handling_type") != "即办件":
        raise _fail("legal_limit_days", "至少为1个工作日(即办件除外)")
    if item["category"] not in CATEGORIES:
        raise _fail("category", f"应为{'、'.join(CATEGORIES)}之一")
    if item["status"] not in STATUSES:
        raise _fail("status", f"应为{'、'.join(STATUSES)}之一")
    bad_channels = set(item["channels"]) - set(CHANNELS)
    if bad_channels:
        raise _fail("channels", f"有未知渠道 {'、'.join(sorted(bad_channels))}")
    _validate_materials(item["materials"])
    _validate_guide(item)


def _validate_materials(materials: list[Mapping[str, Any]]) -> None:
    names = [material["name"] for material in materials]
    if len(names) != len(set(names)):
        raise _fail("materials", "的名称在同一事项内不能重复")
    for material in materials:
        if material.get("form", "original") not in FORMS:
            raise _fail("materials", f"「{material['name']}」的形式应为原件、复印件或电子件")
        if material.get("medium", "paper") not in MEDIA:
            raise _fail("materials", f"「{material['name']}」的介质应为纸质、电子或纸质和电子")


def _validate_types(item: Mapping[str, Any]) -> None:
    for name, default in GUIDE_DEFAULTS.items():
        if name not in item:
            continue
        value = item[name]
        if isinstance(default, list):
            ok = isinstance(value, list) and all(isinstance(entry, str) for entry in value)
        elif isinstance(default, bool):
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, type(default)) and not isinstance(value, bool)
        if not ok:
            kind = "文字列表" if isinstance(default, list) else type(default).__name__
            raise _fail(
                name, f"的类型应为{ {'str': '文字', 'int': '整数', 'bool': '是或否'}.get(kind, kind) }"
            )
    for fee in item.get("fees", ()):
        if not isinstance(fee, Mapping) or not str(fee.get("name", "")).strip():
            raise _fail("fees", "每项应有名称、金额和依据")


def _validate_guide(item: Mapping[str, Any]) -> None:
    _validate_types(item)
    fee_status = item.get("fee_status", PENDING)
    if fee_status not in FEE_STATUSES:
        raise _fail("fee_status", f"应为{'、'.join(FEE_STATUSES)}之一")
    if fee_status == "收费" and not item.get("fees"):
        raise _fail("fees", "不能为空:收费的事项须列明收费项目")
    if fee_status == "不收费" and item.get("fees"):
        raise _fail("fees", "应为空:事项不收费")
    if item.get("handling_type", "承诺件") not in HANDLING_TYPES:
        raise _fail("handling_type", "应为即办件或承诺件")
    if item.get("online_depth", 0) not in ONLINE_DEPTHS:
        raise _fail("online_depth", "应为0(窗口办理)至4(全程网办)")
    if item.get("visits_required", 1) not in (0, 1):
        raise _fail("visits_required", "应为0或1(最多跑一次)")
    if item.get("approval_levels", 1) not in (1, 2, 3):
        raise _fail("approval_levels", "应为1(审批)、2(承办、审批)或3(承办、审核、审批)")
    events = list(item.get("life_events", ()))
    if set(events) - set(LIFE_EVENTS) or len(events) != len(set(events)):
        raise _fail("life_events", f"应为{'、'.join(LIFE_EVENTS)}中的若干项(不重复)")
    unknown = set(item.get("unverified", ())) - set(FIELD_LABELS)
    if unknown:
        raise _fail("unverified", f"中有未知字段 {'、'.join(sorted(unknown))}")


def changed_fields(current: Mapping[str, Any], proposed: Mapping[str, Any]) -> list[str]:
    return [name for name in VERSIONED_FIELDS if name in proposed and proposed[name] != current.get(name)]
