"""One certificate template per catalogue item: the certificate's name, how its scope is labelled, and
how long it is valid by default (pure data; the catalogue of seed 003 and a generic fallback)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class CertificateTemplate:
    certificate_name: str
    scope_label: str = "许可范围"
    # None: valid without a time limit (长期).
    validity_months: int | None = None


GENERIC = CertificateTemplate("行政许可证件")

TEMPLATES: dict[str, CertificateTemplate] = {
    "513200-XK-JY-0036": CertificateTemplate("教师资格证书", "任教学科"),
    "513200-XK-RS-0153": CertificateTemplate("劳务派遣经营许可证", "经营范围", 36),
    "513200-XK-WL-0447": CertificateTemplate("网络文化经营许可证", "经营范围", 36),
    "513200-XK-SJ-0510": CertificateTemplate("企业名称预先核准通知书", "核准名称", 6),
    "513200-XK-SJ-0511": CertificateTemplate("营业执照", "经营范围"),
    "513200-XK-SJ-0529": CertificateTemplate("食品经营许可证", "经营项目", 60),
}


def template_for(item_code: str) -> CertificateTemplate:
    return TEMPLATES.get(item_code, GENERIC)


def default_valid_until(template: CertificateTemplate, valid_from: dt.date) -> dt.date | None:
    """The last valid day: `validity_months` after `valid_from`, minus one day (5 years from 2026-11-21
    end on 2031-11-20). Month ends are clamped: 6 months from 31 August end on 27 February (28 in a leap
    year).
    """
    if template.validity_months is None:
        return None
    months = valid_from.month - 1 + template.validity_months
    year, month = valid_from.year + months // 12, months % 12 + 1
    day = min(valid_from.day, _days_in_month(year, month))
    return dt.date(year, month, day) - dt.timedelta(days=1)


def _days_in_month(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day
