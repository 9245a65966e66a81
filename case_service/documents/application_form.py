"""The hall's generic application form (申请表, 通用表样) for a catalogue item: the applicant's fields, the
item's name and code, its materials with a box to tick. Departments replace it with their own form by
uploading one under the same name (catalogue/files.py)."""

from __future__ import annotations

from typing import Any

from reportlab.lib.units import mm

from case_service.documents.typeset import Margins, PageWriter
from case_service.domain.intake import FORM_LABELS

GENERIC_NOTE = "通用表样：本表为政务服务中心通用格式，非部门正式表样；部门另有正式表样的，以部门表样为准。"
APPLICANT_FIELDS = (
    "申请人（单位）名称",
    "公民身份号码／统一社会信用代码",
    "法定代表人（负责人）",
    "代办人及其身份号码",
    "联系电话",
    "通讯地址",
    "申请内容",
)


def _material_line(material: dict[str, Any]) -> str:
    form = FORM_LABELS.get(material.get("form", ""), material.get("form", ""))
    need = "必须" if material.get("required", True) else f"按条件：{material.get('condition') or '如适用'}"
    return f"□ {material['name']}（{form}{material.get('copies', 1)}份，{need}）"


def render_application_form(item: dict[str, Any]) -> bytes:
    """`item`: the catalogue item's fields (catalogue.service.item_as_dict)."""
    title = f"{item['name']}申请表"
    writer = PageWriter(
        title, subject="申请表（通用表样）", margins=Margins(20 * mm, 18 * mm, 20 * mm, 20 * mm)
    )
    writer.paragraph(GENERIC_NOTE, 10, indent_chars=0)
    writer.skip(6)
    writer.centered(title, 20, after=8)
    writer.table(
        [("事项名称", item["name"]), ("事项编码", item["code"]), ("实施部门", item.get("department", ""))],
        12,
        label_width=55 * mm,
    )
    writer.skip(8)
    writer.paragraph("申请人信息", 14, indent_chars=0)
    writer.skip(6)
    rows = [(label, "\n\n" if label == "申请内容" else "") for label in APPLICANT_FIELDS]
    writer.table(rows, 12, label_width=55 * mm)
    writer.skip(8)
    writer.paragraph("提交材料清单（已提交的请在方框内打√）", 14, indent_chars=0)
    materials = item.get("materials") or []
    if materials:
        for material in materials:
            writer.paragraph(_material_line(material), 12, indent_chars=0, hanging=1.5 * 12)
    else:
        writer.paragraph("（本事项的材料清单待部门核实，请向窗口咨询。）", 12, indent_chars=0)
    writer.skip(8)
    writer.ensure_room(95)  # the declaration and the signature stay together
    writer.paragraph("申请人声明：本人（单位）对所填内容和所交材料的真实性、合法性负责。", 12)
    writer.skip(10)
    writer.right("申请人（签字或盖章）：", 12, inset=40 * mm)
    writer.right("年    月    日", 12)
    return writer.finish()
