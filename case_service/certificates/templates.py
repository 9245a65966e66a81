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
    "513200-XK-JY-0028": CertificateTemplate("办学许可证", "办学内容"),
    "513200-XK-JY-0029": CertificateTemplate("高等学校设立批准文件", "批准事项"),
    "513200-XK-JY-0036": CertificateTemplate("教师资格证书", "任教学科"),
    "513200-XK-SF-0126": CertificateTemplate("律师事务所执业许可证", "执业范围"),
    "513200-XK-SF-0127": CertificateTemplate("律师执业证书", "执业机构"),
    "513200-XK-SF-0128": CertificateTemplate("律师执业证书", "执业机构"),
    "513200-XK-SF-0133": CertificateTemplate("律师执业证书", "执业机构"),
    "513200-XK-SF-0135": CertificateTemplate("公证员执业证书", "执业机构"),
    "513200-XK-SF-0137": CertificateTemplate("司法鉴定许可证", "业务范围"),
    "513200-XK-SF-0138": CertificateTemplate("司法鉴定人执业证", "执业类别"),
    "513200-XK-SF-0139": CertificateTemplate("公证机构执业证书", "执业区域"),
    "513200-XK-SF-0140": CertificateTemplate("基层法律服务工作者执业证", "执业机构"),
    "513200-XK-CZ-0144": CertificateTemplate("代理记账许可证书", "代理记账业务范围"),
    "513200-XK-RS-0147": CertificateTemplate("民办学校办学许可证", "办学内容"),
    "513200-XK-RS-0150": CertificateTemplate("人力资源服务许可证", "服务范围"),
    "513200-XK-RS-0151": CertificateTemplate("职业技能鉴定许可证", "鉴定职业（工种）及等级"),
    "513200-XK-RS-0152": CertificateTemplate("特殊工时制度审批决定书", "实行岗位"),
    "513200-XK-RS-0153": CertificateTemplate("劳务派遣经营许可证", "经营范围", 36),
    "513200-XK-KJ-0154": CertificateTemplate("外国人工作许可证", "工作岗位"),
    "513200-XK-NY-0314": CertificateTemplate("动物检疫合格证明", "检疫物"),
    "513200-XK-NY-0315": CertificateTemplate("动物检疫合格证明", "检疫物"),
    "513200-XK-NY-0321": CertificateTemplate("拖拉机驾驶培训许可证", "培训范围"),
    "513200-XK-NY-0326": CertificateTemplate("水产苗种生产许可证", "生产品种"),
    "513200-XK-NY-0340": CertificateTemplate("农作物种子生产经营许可证", "生产经营范围", 60),
    "513200-XK-NY-0356": CertificateTemplate("植物检疫证书", "检疫物"),
    "513200-XK-NY-0370": CertificateTemplate("种畜禽生产经营许可证", "生产经营范围"),
    "513200-XK-NY-0372": CertificateTemplate("生猪定点屠宰证书和生猪定点屠宰标志牌", "屠宰范围"),
    "513200-XK-NY-0377": CertificateTemplate("兽药经营许可证", "经营范围", 60),
    "513200-XK-NY-0386": CertificateTemplate("渔业资源环境影响审查批复", "批准事项"),
    "513200-XK-NY-0392": CertificateTemplate("农药经营许可证", "经营范围", 60),
    "513200-XK-NY-0393": CertificateTemplate("机电提灌站建设批复", "批准事项"),
    "513200-XK-NY-0394": CertificateTemplate("水生野生动植物经营利用批准文件", "经营利用物种"),
    "513200-XK-NY-0381": CertificateTemplate("渔业船舶国籍证书", "作业类型"),
    "513200-XK-SW-0438": CertificateTemplate("对外贸易经营者备案登记表", "经营范围"),
    "513200-XK-SW-0431": CertificateTemplate("对外劳务合作经营资格证书", "经营范围"),
    "513200-XK-WL-0447": CertificateTemplate("网络文化经营许可证", "经营范围", 36),
    "513200-XK-WL-0452": CertificateTemplate("演出场所经营单位设立批准文件", "批准事项"),
    "513200-XK-WL-0454": CertificateTemplate("演出场所经营单位设立批准文件", "批准事项"),
    "513200-XK-WL-0462": CertificateTemplate("借用国有馆藏文物批准文件", "借用文物"),
    "513200-XK-WL-0466": CertificateTemplate("文物修缮方案批复", "修缮范围"),
    "513200-XK-WL-0467": CertificateTemplate("改变用途审核意见", "批准用途"),
    "513200-XK-WL-0468": CertificateTemplate("建设工程文物保护和考古许可批复", "批准事项"),
    "513200-XK-WL-0471": CertificateTemplate("原址保护措施批复", "批准事项"),
    "513200-XK-WL-0473": CertificateTemplate("文物保护工程资质证书", "资质等级和业务范围"),
    "513200-XK-WL-0619": CertificateTemplate("登山活动批准文件", "登山活动"),
    "513200-XK-WL-0620": CertificateTemplate("临时占用公共体育场（馆）设施批复", "占用范围和期限"),
    "513200-XK-WL-0652": CertificateTemplate("景区景点讲解员证", "讲解景区"),
    "513200-XK-SJ-0510": CertificateTemplate("企业名称预先核准通知书", "核准名称", 6),
    "513200-XK-SJ-0511": CertificateTemplate("营业执照", "经营范围"),
    "513200-XK-SJ-0514": CertificateTemplate("广告发布登记证", "发布媒介"),
    "513200-XK-SJ-0517": CertificateTemplate("计量标准考核证书", "开展项目"),
    "513200-XK-SJ-0519": CertificateTemplate("检验检测机构资质认定证书", "检验项目", 72),
    "513200-XK-SJ-0520": CertificateTemplate("计量授权证书", "授权项目和区域"),
    "513200-XK-SJ-0521": CertificateTemplate("特种设备安全管理和作业人员证", "作业项目", 48),
    "513200-XK-SJ-0522": CertificateTemplate("特种设备生产许可证", "许可项目", 48),
    "513200-XK-SJ-0523": CertificateTemplate("特种设备使用登记证", "设备类别"),
    "513200-XK-SJ-0525": CertificateTemplate("全国工业产品生产许可证", "产品名称", 60),
    "513200-XK-SJ-0527": CertificateTemplate("检验检测机构资质认定证书", "检验检测能力范围", 72),
    "513200-XK-SJ-0528": CertificateTemplate("食品生产许可证", "食品类别", 60),
    "513200-XK-SJ-0529": CertificateTemplate("食品经营许可证", "经营项目", 60),
    "513200-XK-SJ-0535": CertificateTemplate("药品经营许可证", "经营范围", 60),
    "513200-XK-SJ-0538": CertificateTemplate("药品经营质量管理规范认证证书", "认证范围", 60),
    "513200-XK-SJ-0548": CertificateTemplate("第二类精神药品零售业务批准文件", "经营范围"),
    "513200-XK-SJ-0549": CertificateTemplate("麻醉药品、第一类精神药品运输证明", "运输品种", 12),
    "513200-XK-SJ-0550": CertificateTemplate("麻醉药品和精神药品购买批准文件", "购买品种和数量"),
    "513200-XK-SJ-0551": CertificateTemplate("麻醉药品、精神药品邮寄证明", "邮寄品种和数量"),
    "513200-XK-SJ-0552": CertificateTemplate("放射性药品使用许可证", "使用类别", 60),
    "513200-XK-SJ-0557": CertificateTemplate("医疗器械经营许可证", "经营范围", 60),
    "513200-XK-SJ-0558": CertificateTemplate("执业药师注册证", "执业范围", 60),
    "513200-XK-SJ-0577": CertificateTemplate("医疗用毒性药品零售批准文件", "经营范围"),
    "513200-XK-GD-0601": CertificateTemplate("广播电视站设立批准文件", "批准事项"),
    "513200-XK-GD-0602": CertificateTemplate("广播电视视频点播业务许可证", "业务范围"),
    "513200-XK-GD-0603": CertificateTemplate("有线广播电视传输覆盖网工程审核意见", "工程范围"),
    "513200-XK-GD-0604": CertificateTemplate("广播电台、电视台设立（终止）初审意见", "批准事项"),
    "513200-XK-GD-0611": CertificateTemplate("卫星地面接收设施安装服务许可证", "服务区域"),
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
