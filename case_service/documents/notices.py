"""The notices of a case (Administrative Licensing Law), as pure dataclasses rendered to A4 PDF bytes.

One dataclass per notice; `render_notice(notice)` returns the PDF. The dataclasses check their own
content (a supplement notice must list at least one material, a denial must give reasons), so a bad
notice fails with a `NoticeError` naming the problem before anything is drawn.

Legal time limits quoted on the denials: administrative reconsideration within 60 days of receipt
(行政复议法 第二十条), administrative litigation within 6 months (行政诉讼法 第四十六条).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from reportlab.lib.units import mm

from case_service.documents.seal import SealSpec, draw_seal
from case_service.documents.typeset import PAGE_WIDTH, PageWriter, chinese_date
from hall.calendar import china_today

RECONSIDERATION_DAYS = 60
LITIGATION_MONTHS = 6

TITLE_SIZE = 22.0
BODY_SIZE = 15.0


class NoticeError(ValueError):
    """A notice's content is incomplete or contradictory; the message says what is wrong."""


@dataclass(frozen=True)
class Issuer:
    """The authority that issues the notice and seals it."""

    authority: str
    seal_code: str = ""
    contact: str = ""

    def __post_init__(self) -> None:
        _require(self.authority, "the issuing authority")


@dataclass(frozen=True)
class AcceptanceNotice:
    """受理通知书."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    case_number: str
    submitted_on: date
    accepted_on: date
    decision_due: date
    materials: tuple[str, ...] = ()
    sealed: bool = True
    due_estimated: bool = False  # the due date lies in a year whose holidays are not yet announced
    owed: tuple[str, ...] = ()  # 容缺: tolerated materials still to be handed in
    owed_by: date | None = None
    owed_estimated: bool = False
    # Filed as part of a “一件事一次办” package: its name and number, and its other items as the applicant
    # reads them (item, department, case number).
    package: str = ""
    package_items: tuple[str, ...] = ()

    title = "受理通知书"

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        _require(self.case_number, "the case number")
        if self.owed and self.owed_by is None:
            raise NoticeError("tolerated materials are owed without the day they are due")
        if self.decision_due < self.accepted_on:
            raise NoticeError("the decision is due before the application was accepted")
        if self.accepted_on < self.submitted_on:
            raise NoticeError("the application was accepted before it was submitted")


@dataclass(frozen=True)
class NonAcceptanceNotice:
    """不予受理通知书: with the reason, the legal basis and where else to apply if that is the reason."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    submitted_on: date
    issued_on: date
    reason: str
    legal_basis: str = "《中华人民共和国行政许可法》第三十二条第一款"
    redirect_to: str = ""
    reconsideration_body: str = ""
    court: str = ""
    sealed: bool = True

    title = "不予受理通知书"

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        _require(self.reason, "the reason for not accepting")


class MaterialProblemKind(StrEnum):
    MISSING = "missing"
    DEFECTIVE = "defective"


@dataclass(frozen=True)
class MaterialProblem:
    material: str
    kind: MaterialProblemKind
    detail: str = ""

    def __post_init__(self) -> None:
        _require(self.material, "the material's name")
        if self.kind is MaterialProblemKind.DEFECTIVE and not self.detail.strip():
            raise NoticeError(f"say what is wrong with the material {self.material!r}")

    def describe(self) -> str:
        if self.kind is MaterialProblemKind.MISSING:
            return f"{self.material}：未提交，请补充提交。" + (f"{self.detail}" if self.detail else "")
        return f"{self.material}：{self.detail}，请补正。"


@dataclass(frozen=True)
class SupplementNotice:
    """补正材料一次性告知书: every missing or defective material, told once and in full (Art. 32)."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    submitted_on: date
    issued_on: date
    problems: tuple[MaterialProblem, ...]
    supplement_by: date | None = None
    sealed: bool = True

    title = "补正材料一次性告知书"

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        if not self.problems:
            raise NoticeError("a supplement notice must list at least one missing or defective material")
        if self.supplement_by is not None and self.supplement_by < self.issued_on:
            raise NoticeError("the supplement deadline is before the notice's date")


@dataclass(frozen=True)
class ApprovalDecision:
    """准予行政许可决定书."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    case_number: str
    submitted_on: date
    decided_on: date
    scope: str
    certificate_due: date
    valid_until: date | None = None
    certificate_name: str = ""
    sealed: bool = True
    due_estimated: bool = False  # the certificate's due date lies in a year not yet announced
    item_basis: str = ""  # the item's own legal basis (设定依据), quoted beside the licensing law
    opinions: tuple[str, ...] = ()  # the review's opinions, level by level, quoted

    title = "准予行政许可决定书"

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        _require(self.scope, "the licensed scope")
        if self.valid_until is not None and self.valid_until <= self.decided_on:
            raise NoticeError("the licence would expire before it was decided")


@dataclass(frozen=True)
class DenialDecision:
    """不予行政许可决定书: the reasons, and the right to reconsideration or litigation with time limits."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    case_number: str
    submitted_on: date
    decided_on: date
    reasons: tuple[str, ...]
    reconsideration_body: str
    court: str
    legal_basis: str = "《中华人民共和国行政许可法》第三十八条第二款"
    sealed: bool = True
    item_basis: str = ""  # the item's own legal basis (设定依据), quoted beside the licensing law
    opinions: tuple[str, ...] = ()  # the review's opinions, level by level, quoted

    title = "不予行政许可决定书"

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        if not [reason for reason in self.reasons if reason.strip()]:
            raise NoticeError("a denial must give its reasons (行政许可法 第三十八条)")
        _require(self.reconsideration_body, "the body that hears administrative reconsideration")
        _require(self.court, "the court for administrative litigation")


class ServiceMethod(StrEnum):
    IN_PERSON = "直接送达"
    LOCKER = "智能柜自助送达"
    MAIL = "邮寄送达"
    ELECTRONIC = "电子送达"


@dataclass(frozen=True)
class ServiceReceipt:
    """送达回证: which document was served on whom, how, when, and who signed for it."""

    issuer: Issuer
    number: str
    document_title: str
    document_number: str
    recipient: str
    place: str
    method: ServiceMethod
    served_at: datetime | None = None
    server_names: tuple[str, ...] = ()
    signed_by: str = ""
    notes: str = ""
    sealed: bool = True
    extra_rows: tuple[tuple[str, str], ...] = field(default=())

    title = "送达回证"

    def __post_init__(self) -> None:
        _require(self.number, "the receipt's number")
        _require(self.document_title, "the served document's title")
        _require(self.recipient, "the recipient")


@dataclass(frozen=True)
class RegistrationReceipt:
    """备案回执 (or, for a 即办件, 办结回执): the application accepted and decided on the spot."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    case_number: str
    submitted_on: date
    registered_on: date
    filing: bool = True  # 备案: a filing; False: a 即办件 decided on the spot
    result_name: str = ""
    materials: tuple[str, ...] = ()
    owed: tuple[str, ...] = ()
    owed_by: date | None = None
    sealed: bool = True

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        _require(self.case_number, "the case number")
        if self.registered_on < self.submitted_on:
            raise NoticeError("the application was registered before it was submitted")
        if self.owed and self.owed_by is None:
            raise NoticeError("tolerated materials are owed without the day they are due")

    @property
    def title(self) -> str:
        return "备案回执" if self.filing else "办结回执"


@dataclass(frozen=True)
class ExtensionNotice:
    """延期告知书: the decision period extended once by ten working days, with the reason (art. 42)."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    case_number: str
    issued_on: date
    previous_due: date
    new_due: date
    reason: str
    sealed: bool = True

    title = "延期告知书"

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        _require(self.reason, "the reason for the extension")
        if self.new_due <= self.previous_due:
            raise NoticeError("an extension moves the decision's due date later")


@dataclass(frozen=True)
class SuspensionNotice:
    """特别程序告知书: a hearing, testing or expert review, its reason and expected length; the time it
    takes is not counted in the decision period (art. 45)."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    case_number: str
    issued_on: date
    procedure: str  # 听证, 检验检测, 专家评审
    reason: str
    expected_days: int | None = None
    sealed: bool = True

    title = "特别程序告知书"

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        _require(self.procedure, "the procedure")
        if self.expected_days is not None and self.expected_days < 1:
            raise NoticeError("the expected length is at least one day")


@dataclass(frozen=True)
class ResumptionNotice:
    """恢复办理告知书: the special procedure ended, the decision period runs again to its new due date."""

    issuer: Issuer
    number: str
    applicant: str
    item_name: str
    case_number: str
    issued_on: date
    suspended_on: date
    paused_days: int
    new_due: date
    sealed: bool = True

    title = "恢复办理告知书"

    def __post_init__(self) -> None:
        _require_common(self.number, self.applicant, self.item_name)
        if self.issued_on < self.suspended_on:
            raise NoticeError("a case resumes after it was suspended")


Notice = (
    AcceptanceNotice
    | NonAcceptanceNotice
    | SupplementNotice
    | ApprovalDecision
    | DenialDecision
    | ServiceReceipt
    | RegistrationReceipt
    | ExtensionNotice
    | SuspensionNotice
    | ResumptionNotice
)


def render_notice(notice: Notice) -> bytes:
    """The notice as a PDF (A4, embedded CJK font, the authority's seal when `sealed`)."""
    writer = PageWriter(notice.title, subject=f"{notice.title} {notice.number}")
    writer.centered(notice.issuer.authority, TITLE_SIZE - 4)
    writer.centered(notice.title, TITLE_SIZE, after=4 * mm)
    writer.centered(notice.number, BODY_SIZE - 1, after=6 * mm)
    issued_on: date
    match notice:
        case AcceptanceNotice():
            _acceptance(writer, notice)
            issued_on = notice.accepted_on
        case NonAcceptanceNotice():
            _non_acceptance(writer, notice)
            issued_on = notice.issued_on
        case SupplementNotice():
            _supplement(writer, notice)
            issued_on = notice.issued_on
        case ApprovalDecision():
            _approval(writer, notice)
            issued_on = notice.decided_on
        case DenialDecision():
            _denial(writer, notice)
            issued_on = notice.decided_on
        case ServiceReceipt():
            _service_receipt(writer, notice)
            issued_on = notice.served_at.date() if notice.served_at else china_today()
        case RegistrationReceipt():
            _registration(writer, notice)
            issued_on = notice.registered_on
        case ExtensionNotice():
            _extension(writer, notice)
            issued_on = notice.issued_on
        case SuspensionNotice():
            _suspension(writer, notice)
            issued_on = notice.issued_on
        case ResumptionNotice():
            _resumption(writer, notice)
            issued_on = notice.issued_on
    if notice.issuer.contact:
        writer.paragraph(f"联系电话：{notice.issuer.contact}", BODY_SIZE)
    _signature(writer, notice.issuer, issued_on, sealed=notice.sealed)
    return writer.finish()


def _acceptance(writer: PageWriter, notice: AcceptanceNotice) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    materials = "申请材料除下列容缺材料外齐全、符合法定形式" if notice.owed else "申请材料齐全、符合法定形式"
    writer.paragraph(
        f"你（单位）于{chinese_date(notice.submitted_on)}提出的{notice.item_name}申请，经审查，{materials}。"
        "根据《中华人民共和国行政许可法》第三十二条第一款第（五）项的规定，本机关决定予以受理。",
        BODY_SIZE,
    )
    _owed(writer, notice.owed, notice.owed_by, estimated=notice.owed_estimated)
    writer.paragraph(f"受理编号：{notice.case_number}", BODY_SIZE)
    if notice.package:
        writer.paragraph(
            f"本事项属“一件事一次办”{notice.package}中的一项。同时办理的其他事项如下，结果统一出件：",
            BODY_SIZE,
        )
        writer.numbered(list(notice.package_items), BODY_SIZE)
    writer.paragraph(
        f"本机关将于{chinese_date(notice.decision_due)}前作出行政许可决定。"
        "依法需要听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审的，所需时间不计算在上述期限内。"
        + (_estimated_note(notice.decision_due) if notice.due_estimated else ""),
        BODY_SIZE,
    )
    if notice.materials:
        writer.paragraph("已收取的申请材料：", BODY_SIZE)
        writer.numbered(list(notice.materials), BODY_SIZE)


def _owed(
    writer: PageWriter, owed: tuple[str, ...], owed_by: date | None, *, estimated: bool = False
) -> None:
    """The tolerated (容缺) materials still owed, and the day by which they must be handed in."""
    if not owed or owed_by is None:
        return
    writer.paragraph(
        f"尚需补交的容缺材料（共{len(owed)}项），请于{chinese_date(owed_by)}前补交；逾期未补交的，"
        "本机关将依法处理：" + (_estimated_note(owed_by) if estimated else ""),
        BODY_SIZE,
    )
    writer.numbered(list(owed), BODY_SIZE)


def _registration(writer: PageWriter, notice: RegistrationReceipt) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    what = "备案" if notice.filing else "申请"
    done = "予以备案" if notice.filing else "当场办结"
    writer.paragraph(
        f"你（单位）于{chinese_date(notice.submitted_on)}提交的{notice.item_name}{what}材料已收悉，经审查，"
        f"材料齐全、符合法定形式，本机关已于{chinese_date(notice.registered_on)}{done}。",
        BODY_SIZE,
    )
    writer.paragraph(f"办件编号：{notice.case_number}", BODY_SIZE)
    if notice.result_name:
        writer.paragraph(f"办理结果：{notice.result_name}，当场出具。", BODY_SIZE)
    if notice.materials:
        writer.paragraph("已收取的材料：", BODY_SIZE)
        writer.numbered(list(notice.materials), BODY_SIZE)
    _owed(writer, notice.owed, notice.owed_by)


def _non_acceptance(writer: PageWriter, notice: NonAcceptanceNotice) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    writer.paragraph(
        f"你（单位）于{chinese_date(notice.submitted_on)}提出的{notice.item_name}申请，经审查，"
        f"{notice.reason.rstrip('。')}。根据{notice.legal_basis}的规定，本机关决定不予受理。",
        BODY_SIZE,
    )
    if notice.redirect_to:
        writer.paragraph(f"该申请事项请向{notice.redirect_to}提出。", BODY_SIZE)
    if notice.reconsideration_body and notice.court:
        writer.paragraph(_remedies(notice.reconsideration_body, notice.court), BODY_SIZE)


def _supplement(writer: PageWriter, notice: SupplementNotice) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    writer.paragraph(
        f"你（单位）于{chinese_date(notice.submitted_on)}提出的{notice.item_name}申请，经审查，"
        "申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》第三十二条第一款第（四）项的规定，"
        f"现一次性告知需要补正的全部内容（共{len(notice.problems)}项）：",
        BODY_SIZE,
    )
    writer.numbered([problem.describe() for problem in notice.problems], BODY_SIZE)
    deadline = f"请于{chinese_date(notice.supplement_by)}前" if notice.supplement_by else "请"
    writer.paragraph(
        f"{deadline}一并补正上述材料。补正后的申请材料齐全、符合法定形式的，本机关将予以受理。", BODY_SIZE
    )


def _approval(writer: PageWriter, notice: ApprovalDecision) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    writer.paragraph(
        f"你（单位）于{chinese_date(notice.submitted_on)}提出的{notice.item_name}申请（受理编号："
        f"{notice.case_number}），经审查，符合法定条件、标准。",
        BODY_SIZE,
    )
    _opinions(writer, notice.opinions)
    writer.paragraph(
        f"根据《中华人民共和国行政许可法》第三十八条第一款{_and_basis(notice.item_basis)}的规定，"
        "本机关决定准予行政许可。",
        BODY_SIZE,
    )
    writer.paragraph(f"许可范围：{notice.scope}", BODY_SIZE)
    if notice.valid_until is not None:
        writer.paragraph(f"有效期至：{chinese_date(notice.valid_until)}", BODY_SIZE)
    certificate = notice.certificate_name or "行政许可证件"
    writer.paragraph(
        f"本机关将于{chinese_date(notice.certificate_due)}前向你（单位）颁发、送达{certificate}"
        "（《中华人民共和国行政许可法》第四十四条）。"
        + (_estimated_note(notice.certificate_due) if notice.due_estimated else ""),
        BODY_SIZE,
    )


def _extension(writer: PageWriter, notice: ExtensionNotice) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    writer.paragraph(
        f"你（单位）提出的{notice.item_name}申请（受理编号：{notice.case_number}），因{notice.reason.rstrip('。')}，"
        "不能在规定期限内作出决定。根据《中华人民共和国行政许可法》第四十二条第一款的规定，经本行政机关负责人批准，"
        f"作出行政许可决定的期限延长十个工作日，由{chinese_date(notice.previous_due)}延长至"
        f"{chinese_date(notice.new_due)}。",
        BODY_SIZE,
    )
    writer.paragraph("特此告知。", BODY_SIZE)


def _suspension(writer: PageWriter, notice: SuspensionNotice) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    length = f"预计需要{notice.expected_days}日" if notice.expected_days else "所需时间将另行告知"
    writer.paragraph(
        f"你（单位）提出的{notice.item_name}申请（受理编号：{notice.case_number}），依法需要{notice.procedure}"
        + (f"（{notice.reason.rstrip('。')}）" if notice.reason.strip() else "")
        + f"，自{chinese_date(notice.issued_on)}起进行，{length}。"
        "根据《中华人民共和国行政许可法》第四十五条的规定，所需时间不计算在作出行政许可决定的期限内。",
        BODY_SIZE,
    )
    writer.paragraph(f"{notice.procedure}结束后，本机关将告知你（单位）恢复办理及新的决定期限。", BODY_SIZE)


def _resumption(writer: PageWriter, notice: ResumptionNotice) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    writer.paragraph(
        f"你（单位）提出的{notice.item_name}申请（受理编号：{notice.case_number}），自"
        f"{chinese_date(notice.suspended_on)}起进行的特别程序已经结束，共{notice.paused_days}个工作日，"
        "依法不计算在决定期限内。本机关自即日起恢复办理，将于"
        f"{chinese_date(notice.new_due)}前作出行政许可决定。",
        BODY_SIZE,
    )


def _opinions(writer: PageWriter, opinions: tuple[str, ...]) -> None:
    """The review's opinions, level by level (承办, 审核, 审批), as the approval form records them."""
    if opinions:
        writer.paragraph("审查意见：", BODY_SIZE)
        writer.numbered(list(opinions), BODY_SIZE)


def _and_basis(item_basis: str) -> str:
    """The item's own basis after the licensing law's article: 和《…》."""
    basis = item_basis.strip().rstrip("。；;")
    return f"和{basis}" if basis and basis != "待部门核实" else ""


def _estimated_note(due: date) -> str:
    """Said wherever a due date was counted without the year's announced holidays."""
    return f"{due.year}年法定节假日安排尚未公布，上述日期按周末推算，如遇节假日依法顺延。"


def _denial(writer: PageWriter, notice: DenialDecision) -> None:
    writer.paragraph(f"{notice.applicant}：", BODY_SIZE, indent_chars=0)
    writer.paragraph(
        f"你（单位）于{chinese_date(notice.submitted_on)}提出的{notice.item_name}申请（受理编号："
        f"{notice.case_number}），经审查，不符合法定条件、标准，理由如下：",
        BODY_SIZE,
    )
    writer.numbered([reason.strip() for reason in notice.reasons if reason.strip()], BODY_SIZE)
    _opinions(writer, notice.opinions)
    writer.paragraph(
        f"根据{notice.legal_basis}{_and_basis(notice.item_basis)}的规定，本机关决定不予行政许可。", BODY_SIZE
    )
    writer.paragraph(_remedies(notice.reconsideration_body, notice.court), BODY_SIZE)


def _remedies(reconsideration_body: str, court: str) -> str:
    return (
        f"如不服本决定，可以自收到本决定之日起{RECONSIDERATION_DAYS}日内向{reconsideration_body}申请行政复议，"
        f"或者自收到本决定之日起{LITIGATION_MONTHS}个月内依法向{court}提起行政诉讼。"
    )


def _service_receipt(writer: PageWriter, notice: ServiceReceipt) -> None:
    served_at = notice.served_at.strftime("%Y年%m月%d日 %H:%M") if notice.served_at else ""
    rows = [
        ("送达文书名称", notice.document_title),
        ("送达文书文号", notice.document_number),
        ("受送达人", notice.recipient),
        ("送达地点", notice.place),
        ("送达方式", notice.method.value),
        ("送达时间", served_at),
        ("受送达人签名", notice.signed_by),
        ("送达人", "、".join(notice.server_names)),
        *notice.extra_rows,
        ("备注", notice.notes),
    ]
    writer.table(rows, BODY_SIZE - 1)


def _signature(writer: PageWriter, issuer: Issuer, issued_on: date, *, sealed: bool) -> None:
    writer.skip(12 * mm)
    writer.ensure_room(40 * mm)
    if sealed:
        # Under the authority's name and the date, which are drawn next (the seal is opaque).
        centre_x = PAGE_WIDTH - writer.margins.right - 8 * mm - 24 * mm
        centre_y = writer.y - 2 * BODY_SIZE * 1.6 + 10 * mm
        draw_seal(writer.canvas, centre_x, centre_y, SealSpec(issuer.authority, code=issuer.seal_code))
    writer.right(issuer.authority, BODY_SIZE, inset=8 * mm)
    writer.right(chinese_date(issued_on), BODY_SIZE, inset=8 * mm)


def _require(value: str, what: str) -> None:
    if not value or not value.strip():
        raise NoticeError(f"{what} is missing")


def _require_common(number: str, applicant: str, item_name: str) -> None:
    _require(number, "the document number")
    _require(applicant, "the applicant")
    _require(item_name, "the item's name")
