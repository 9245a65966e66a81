"""The health issue codes of the contract: what a device reports in ``state.issues``.

Devices may report other codes too (lowercase, digits, '-'); these are the ones the controller and the
dashboard know by name. `issue(...)` builds a `HealthIssue` with the code's usual severity.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from devices.protocol.payloads import HealthIssue, Severity


class HealthCode(StrEnum):
    PAPER_LOW = "paper-low"
    PAPER_OUT = "paper-out"
    TONER_LOW = "toner-low"
    TONER_OUT = "toner-out"
    PRINTER_JAM = "printer-jam"
    DOOR_FAULT = "door-fault"  # a locker door that does not open or close when told
    DOOR_FORCED = "door-forced"  # a locker door opened with no command
    DOOR_LEFT_OPEN = "door-left-open"
    DISPLAY_ERROR = "display-error"
    CARD_READER_MISSING = "card-reader-missing"
    CAMERA_MISSING = "camera-missing"
    HARDWARE_ERROR = "hardware-error"
    # Raised by the controller, never by a device:
    OFFLINE = "offline"
    DUPLICATE_ID = "duplicate-id"


@dataclass(frozen=True)
class CodeInfo:
    label: str
    severity: Severity


CODES: dict[HealthCode, CodeInfo] = {
    HealthCode.PAPER_LOW: CodeInfo("纸张将尽 paper low", Severity.WARNING),
    HealthCode.PAPER_OUT: CodeInfo("缺纸 paper out", Severity.CRITICAL),
    HealthCode.TONER_LOW: CodeInfo("碳粉不足 toner low", Severity.WARNING),
    HealthCode.TONER_OUT: CodeInfo("碳粉耗尽 toner out", Severity.CRITICAL),
    HealthCode.PRINTER_JAM: CodeInfo("卡纸 paper jam", Severity.CRITICAL),
    HealthCode.DOOR_FAULT: CodeInfo("柜门故障 door fault", Severity.CRITICAL),
    HealthCode.DOOR_FORCED: CodeInfo("柜门被强行打开 door forced", Severity.CRITICAL),
    HealthCode.DOOR_LEFT_OPEN: CodeInfo("柜门未关 door left open", Severity.WARNING),
    HealthCode.DISPLAY_ERROR: CodeInfo("显示屏故障 display error", Severity.WARNING),
    HealthCode.CARD_READER_MISSING: CodeInfo("读卡器未连接 card reader missing", Severity.CRITICAL),
    HealthCode.CAMERA_MISSING: CodeInfo("摄像头未连接 camera missing", Severity.WARNING),
    HealthCode.HARDWARE_ERROR: CodeInfo("硬件故障 hardware error", Severity.CRITICAL),
    HealthCode.OFFLINE: CodeInfo("离线 offline", Severity.WARNING),
    HealthCode.DUPLICATE_ID: CodeInfo("设备编号重复 duplicate device id", Severity.CRITICAL),
}


def issue(code: HealthCode, message: str = "", severity: Severity | None = None) -> HealthIssue:
    info = CODES[code]
    return HealthIssue(code=code.value, severity=severity or info.severity, message=message or info.label)


def label(code: str) -> str:
    try:
        return CODES[HealthCode(code)].label
    except ValueError:
        return code
