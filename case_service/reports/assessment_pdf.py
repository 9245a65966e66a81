"""The monthly 效能考核 report as a PDF: the indicators and their weights, the department ranking, each
department's figures, and how the scores are counted. Typeset with the hall's embedded CJK font."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.units import mm

from case_service.documents.typeset import Margins, PageWriter, chinese_date, draw_text, text_width
from case_service.reports.assessment import (
    CARD_COST,
    COMPLAINT_COST,
    LABELS,
    MAX_TRIPS,
    Indicator,
    Ranked,
)
from case_service.reports.periods import Period

# The ranking table's column heads, short enough for A4 portrait.
HEADS = {
    Indicator.ON_TIME: "按时办结率",
    Indicator.SATISFACTION: "满意率",
    Indicator.SUPPLEMENT: "补正率",
    Indicator.TRIPS: "跑动次数",
    Indicator.COMPLAINTS: "投诉/百件",
    Indicator.CARDS: "牌分/百件",
}
PERCENT = {Indicator.ON_TIME, Indicator.SATISFACTION, Indicator.SUPPLEMENT}
NOT_COUNTED = "—"


@dataclass(frozen=True)
class AssessmentReport:
    period: Period
    department: str | None  # the scope: None is the whole centre
    weights: dict[Indicator, float]
    ranked: list[Ranked]
    authority: str
    made_on: dt.date

    @property
    def title(self) -> str:
        start = self.period.start
        span = f"{start.year}年{start.month}月" if self.period.kind.value == "month" else self.period.label
        return f"{span}政务服务效能考核报告"


def shown(indicator: Indicator, value: float | None) -> str:
    if value is None:
        return NOT_COUNTED
    if indicator in PERCENT:
        return f"{100 * value:.1f}%"
    return f"{value:.2f}"


def weight_text(weight: float) -> str:
    return f"{weight:g}"


class _Grid:
    """A ruled table of short cells, columns of fixed widths, a header row shaded."""

    def __init__(self, writer: PageWriter, widths: Sequence[float], size: float = 9.5) -> None:
        self.writer, self.widths, self.size = writer, widths, size

    def row(self, cells: Sequence[str], *, header: bool = False) -> None:
        writer, size = self.writer, self.size
        height = size * 2.2
        writer.ensure_room(height)
        canvas, left, top = writer.canvas, writer.margins.left, writer.y
        if header:
            canvas.setFillGray(0.9)
            canvas.rect(left, top - height, sum(self.widths), height, stroke=0, fill=1)
            canvas.setFillGray(0)
        canvas.setLineWidth(0.6)
        x = left
        for width, cell in zip(self.widths, cells, strict=True):
            canvas.rect(x, top - height, width, height)
            text = cell
            while text and text_width(text, size) > width - 2 * mm:
                text = text[:-1]
            draw_text(canvas, x + width / 2, top - height + size * 0.75, text, size, align="center")
            x += width
        writer.y = top - height


def render_assessment(report: AssessmentReport) -> bytes:
    writer = PageWriter(
        report.title, margins=Margins(top=22 * mm, bottom=20 * mm, left=16 * mm, right=16 * mm)
    )
    writer.centered(report.title, 18, after=2)
    scope = report.department or "全中心各部门"
    writer.centered(f"{report.authority} · 考核范围:{scope}", 11)
    writer.centered(
        f"考核期间:{chinese_date(report.period.start)}至{chinese_date(report.period.end)}", 11, after=4
    )

    writer.paragraph("一、考核指标及权重", 13, indent_chars=0)
    weights = "、".join(
        f"{LABELS[indicator]} {weight_text(report.weights[indicator])}" for indicator in Indicator
    )
    writer.paragraph(f"{weights}(合计 {weight_text(sum(report.weights.values()))})。", 11)

    writer.paragraph("二、部门排名", 13, indent_chars=0)
    writer.skip(2 * mm)
    total_width = writer.width
    widths = [11 * mm, 34 * mm] + [19.5 * mm] * 6
    widths.append(total_width - sum(widths))
    grid = _Grid(writer, widths)
    grid.row(["名次", "部门", *(HEADS[indicator] for indicator in Indicator), "综合得分"], header=True)
    for ranked in report.ranked:
        grid.row(
            [
                str(ranked.rank) if ranked.rank else NOT_COUNTED,
                ranked.figures.department,
                *(shown(indicator, ranked.values[indicator]) for indicator in Indicator),
                f"{ranked.total:.2f}" if ranked.total is not None else NOT_COUNTED,
            ]
        )
    if not report.ranked:
        writer.paragraph("本期没有办件、评价、投诉或红黄牌记录。", 11)

    writer.skip(3 * mm)
    writer.paragraph("三、各部门基础数据", 13, indent_chars=0)
    writer.skip(2 * mm)
    widths = [34 * mm] + [15 * mm] * 8
    widths.append(total_width - sum(widths))
    grid = _Grid(writer, widths, size=9)
    heads = ["部门", "收件", "补正", "办结", "按时办结", "跑动", "评价", "好评", "投诉", "黄牌/红牌"]
    grid.row(heads, header=True)
    for ranked in report.ranked:
        figures = ranked.figures
        grid.row(
            [
                figures.department,
                str(figures.received),
                str(figures.supplement),
                str(figures.decided),
                str(figures.on_time),
                str(figures.trips),
                str(figures.ratings),
                str(figures.good_ratings),
                str(figures.complaints),
                f"{figures.yellow_cards}/{figures.red_cards}",
            ]
        )

    writer.skip(3 * mm)
    writer.paragraph("四、计分说明", 13, indent_chars=0)
    notes = [
        "按时办结率、满意率按比率计分;补正率以 1 减去比率计分。",
        f"平均跑动次数 1 次及以下得满分,{MAX_TRIPS:g} 次及以上不得分,其间按比例计分"
        "(窗口或自助终端申请、递交补正材料、窗口或智能柜取件各计 1 次,网上申请和邮寄送达不计)。",
        f"投诉按每百件收件计,每件扣该项 {COMPLAINT_COST * 100:g}%;"
        f"红黄牌按每百件计(黄牌 1 分、红牌 2 分),每分扣该项 {CARD_COST * 100:g}%。",
        "牌分为黄牌数加红牌数的 2 倍。综合得分为各项得分按权重加权的平均数乘以 100;"
        "某项本期无数据的(如无办结件、无评价),该项不计分,其权重按比例分给其余各项。得分相同者名次并列。",
    ]
    writer.numbered(notes, 10.5)
    left_out = [
        f"{ranked.figures.department}:{'、'.join(LABELS[i] for i in ranked.left_out)}"
        for ranked in report.ranked
        if ranked.left_out
    ]
    if left_out:
        writer.paragraph(f"本期不计分的项目:{';'.join(left_out)}。", 10.5)
    writer.skip(6 * mm)
    writer.right(f"{report.authority}  {chinese_date(report.made_on)}", 11)
    return writer.finish()
