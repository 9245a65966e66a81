"""What to do about each alarm: one instruction per alarm code, in Chinese and English, shown beside the
alarm on the manager's dashboard. Pure: a table and a lookup, no I/O.

Every code the controller or a device may raise is here: the health codes of the device contract
(devices.protocol.health.HealthCode) and the event codes of the alarm book (hall_controller.alarms.EVENTS);
tests/hall_controller/test_alarm_guide.py holds the table to both lists. A code a device invents gets the
general instruction.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Instruction:
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


GUIDE: dict[str, Instruction] = {
    "paper-low": Instruction(
        "纸张将尽：在当班时间内给该打印机补纸，补纸后告警自动解除。",
        "Paper low: refill this printer during the shift; the alarm clears by itself once it has paper.",
    ),
    "paper-out": Instruction(
        "缺纸：立即给该打印机补纸；补纸前取号、回执改由窗口打印。",
        "Paper out: refill this printer now; until then, tickets and receipts are printed at a window.",
    ),
    "toner-low": Instruction(
        "碳粉不足：备好碳粉盒，在空闲时更换。",
        "Toner low: have a cartridge ready and change it when the printer is idle.",
    ),
    "toner-out": Instruction(
        "碳粉耗尽：立即更换碳粉盒；更换前该打印机停用。",
        "Toner out: change the cartridge now; the printer is out of use until then.",
    ),
    "printer-jam": Instruction(
        "卡纸：打开打印机取出卡住的纸张（先断电再伸手），合上后确认打印恢复。",
        "Paper jam: open the printer and take out the jammed paper (power off first), close it and "
        "check that printing resumes.",
    ),
    "door-fault": Instruction(
        "柜门故障：到现场查看该柜门能否开关；不能则贴“暂停使用”，通知维保，格内材料改由窗口发放。",
        "Door fault: check on site whether the door opens and shuts; if not, mark it out of use, call "
        "maintenance, and hand its contents out at a window.",
    ),
    "door-forced": Instruction(
        "柜门被强行打开：立即到现场并调取监控，核对格内材料是否缺失，向安保报告。",
        "Door forced: go there now and pull the CCTV, check whether anything is missing from the "
        "compartment, report to security.",
    ),
    "door-left-open": Instruction(
        "柜门未关：到现场关好柜门，核对格内材料。",
        "Door left open: go and shut the door, check the compartment's contents.",
    ),
    "display-error": Instruction(
        "显示屏故障：重启该显示屏；仍不显示则通知维保，叫号改由语音和其他屏幕进行。",
        "Display error: restart the display; if it stays dark call maintenance, and rely on the voice "
        "call and the other screens meanwhile.",
    ),
    "card-reader-missing": Instruction(
        "读卡器未连接：检查读卡器的USB线并重新插好；仍不可用则改为手工录入并核验身份证。",
        "Card reader missing: check and reseat the reader's USB cable; if it stays missing, type the "
        "ID in by hand and check the card by eye.",
    ),
    "camera-missing": Instruction(
        "摄像头未连接：检查高拍仪的连接线；仍不可用则改用扫描件上传。",
        "Camera missing: check the document camera's cable; if it stays missing, upload scans instead.",
    ),
    "hardware-error": Instruction(
        "硬件故障：重启该设备；重启后仍报错则停用并通知维保。",
        "Hardware error: restart the device; if it still reports the error, take it out of use and call "
        "maintenance.",
    ),
    "offline": Instruction(
        "离线：检查设备电源和网线，必要时重启；设备恢复联系后告警自动解除。",
        "Offline: check the device's power and network cable, restart it if needed; the alarm clears "
        "when it is heard from again.",
    ),
    "duplicate-id": Instruction(
        "设备编号重复：两台设备使用了同一编号，停用后接入的那台，由管理员重新登记。",
        "Duplicate device id: two devices use one id; take the later one off and have the admin enrol it "
        "again.",
    ),
    "door_unsolicited_open": Instruction(
        "柜门无开锁指令被打开：到现场查看并调取监控，核对格内材料，向安保报告。",
        "A door opened that nobody unlocked: go and look, pull the CCTV, check the compartment, report "
        "to security.",
    ),
    "door_left_open": Instruction(
        "柜门开启时间过长：到现场关好柜门，核对格内材料。",
        "A door stayed open too long: go and shut it, check the compartment's contents.",
    ),
    "door_opened_without_unlock": Instruction(
        "柜门在无开锁指令时打开：到现场查看并调取监控，核对格内材料，向安保报告。",
        "A door opened with no unlock from the controller: go and look, pull the CCTV, check the "
        "compartment, report to security.",
    ),
    "door_event_unconfirmed": Instruction(
        "柜门状态矛盾：到现场核对该格门是否关好、格内是否有材料，再在柜机上核对状态。",
        "A door event the bank contradicts: check on site whether the door is shut and what is inside, "
        "then compare with the bank's state.",
    ),
    "pickup_guessing": Instruction(
        "多次取件码错误：留意该柜机前的人员，必要时请其到窗口核验身份后取件。",
        "Repeated wrong pickup codes: watch who is at the bank; if needed, ask them to collect at a "
        "window after an ID check.",
    ),
    "foreign_command": Instruction(
        "发现非本控制器发出的指令：可能有人冒用设备凭据，立即通知管理员检查并吊销相关凭据。",
        "A command this controller did not send: someone may be using a device's credential; tell the "
        "admin at once to check and revoke it.",
    ),
}

GENERAL = Instruction(
    "查看该设备的状态和现场情况；无法处理时通知维保。",
    "Look at the device and on site; call maintenance if it cannot be put right.",
)


def instruction(code: str) -> Instruction:
    """What to do about an alarm with this code (the general instruction for an unknown code)."""
    return GUIDE.get(code, GENERAL)
