"""The demo's locker doors on a page: a person's hands at the simulated bank, so that the whole locker flow
(deposit → pickup → delivered) can be shown and tried in a browser without a test harness.

Development mode only: `start_doors_page` refuses production (a real bank has real doors), and the page
listens on loopback only. `hall devices` starts it beside the demo's bank and writes its address to
`<data_dir>/run/locker-doors.url`, which `hall demo` prints. Each button is what a person does at the
bank: put the result in and shut the door, take it out and shut the door, shut an open door, pry a door
open (the controller raises its alarm), jam a door so that it does not open (the clerk's fault message);
and the bank's keypad and card reader: the pickup code, or the applicant's ID number as if the card were
laid on the reader (hashed by the gateway as with a real card).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

from devices.protocol.lockers import PickupMethod
from firmware_sim.lockers.rig import LockerRig
from firmware_sim.loopback import LoopbackPage, back_to_page, from_another_site, message_of, send, write_url
from hall.errors import StartupError
from hall.settings import Mode, Settings

log = logging.getLogger(__name__)
# What the bank's keypad and card reader do with an entry (the gateway's `enter` in `hall devices`).
Keypad = Callable[[PickupMethod, str], None]
URL_FILE = Path("run") / "locker-doors.url"
ACTIONS = {
    "put": "放入物品并关门",
    "take": "取出物品并关门",
    "close": "关门",
    "force": "强行打开",
    "jam": "卡住柜门",
    "unjam": "解除卡住",
}


class DoorsPage(LoopbackPage):
    """The page's HTTP server (stdlib, a thread); `url` once started."""

    def __init__(self, rig: LockerRig, port: int = 0, keypad: Keypad | None = None) -> None:
        self.rig = rig
        self.keypad = keypad
        page = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                log.debug("doors page: " + format, *args)

            def do_GET(self) -> None:
                if self.path not in {"/", "/?"} and not self.path.startswith("/?"):
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                body = page.render(message_of(self.path)).encode("utf-8")
                send(self, HTTPStatus.OK, "text/html; charset=utf-8", body)

            def do_POST(self) -> None:
                if from_another_site(self):
                    self.send_error(HTTPStatus.FORBIDDEN)
                    return
                if self.path == "/keypad":
                    length = min(int(self.headers.get("Content-Length") or 0), 200)
                    form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
                    said = page.enter(form.get("method", [""])[0], form.get("value", [""])[0].strip())
                    back_to_page(self, said)
                    return
                parts = self.path.strip("/").split("/")
                if len(parts) != 3 or parts[0] != "door" or not parts[1].isdigit() or parts[2] not in ACTIONS:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                back_to_page(self, page.act(int(parts[1]), parts[2]))

        super().__init__(Handler, port, "locker-doors")

    def act(self, number: int, action: str) -> str:
        """What a person does at compartment `number`; the sentence the page shows after it."""
        if number not in self.rig.bank.slots:
            return f"没有第 {number} 格"
        board, lock = self.rig.firmware(number)
        try:
            if action == "put":
                self.rig.person_puts_item_and_closes(number)
            elif action == "take":
                self.rig.person_takes_item_and_closes(number)
            elif action == "close":
                board.close_door_when_possible(lock)
            elif action == "force":
                board.force_open(lock)
            else:
                board.jam(lock, action == "jam")
        except RuntimeError:
            return f"第 {number} 格：柜门关着，不能{ACTIONS[action][:2]}（先由控制器开门）"
        return f"第 {number} 格：已{ACTIONS[action]}"

    def enter(self, method: str, value: str) -> str:
        """The applicant types the pickup code at the bank's keypad, or lays the ID card on its reader."""
        if self.keypad is None:
            return "本柜没有键盘和读卡器"
        if method == PickupMethod.CODE and value.isdigit() and 4 <= len(value) <= 12:
            self.keypad(PickupMethod.CODE, value)
            return "已在柜机键盘输入取件码：柜门打开后取出物品并关门"
        if method == PickupMethod.ID_CARD and len(value) == 18 and value[:17].isdigit():
            self.keypad(PickupMethod.ID_CARD, value.upper())
            return "已在柜机读卡器刷身份证：柜门打开后取出物品并关门"
        return "取件码应为数字，身份证号应为18位"

    def render(self, message: str = "") -> str:
        rows = []
        for number, slot in sorted(self.rig.bank.slots.items()):
            board, lock = self.rig.firmware(number)
            door = board.doors[lock]
            is_open = board.truly_open(lock)
            state = (
                ("开" if is_open else "关")
                + ("，有物品" if door.occupied else "，空")
                + ("，卡住" if door.jammed else "")
            )
            wanted = ["put", "take", "close"] if is_open else ["force"]
            wanted.append("unjam" if door.jammed else "jam")
            buttons = "".join(
                f'<form method="post" action="/door/{number}/{action}">'
                f"<button>{ACTIONS[action]}</button></form>"
                for action in wanted
            )
            rows.append(
                f'<tr id="door-{number}"><td>{number}</td><td>{html.escape(slot.size)}</td>'
                f'<td class="state">{state}</td><td class="buttons">{buttons}</td></tr>'
            )
        said = f'<p class="message" id="message">{html.escape(message)}</p>' if message else ""
        return (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            "<title>演示智能柜柜门</title><style>"
            "body{font-family:sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}"
            "td,th{border:1px solid #ccc;padding:.4rem .6rem;text-align:left}"
            "form{display:inline;margin-right:.4rem}"
            ".message{background:#e8f4e8;padding:.5rem}.muted{color:#666}</style></head><body>"
            "<h1>演示智能柜柜门（仅开发模式）</h1>"
            + (
                '<form method="post" action="/keypad" id="keypad"><label>柜机取件 '
                '<select name="method"><option value="code">键盘输入取件码</option>'
                '<option value="id_card">读卡器刷身份证(输入证号)</option></select></label> '
                '<input name="value" aria-label="取件码或身份证号" maxlength="18" autocomplete="off"> '
                "<button>取件</button></form>"
                if self.keypad
                else ""
            )
            + '<p class="muted">模拟申请人和窗口人员在柜前的动作。柜门由大厅控制器开锁后才会打开；'
            "“强行打开”模拟撬门，控制器会报警。刷新页面可看到最新状态。</p>"
            f"{said}<table><tr><th>格口</th><th>大小</th><th>状态</th><th>动作</th></tr>{''.join(rows)}</table>"
            "</body></html>"
        )


def start_doors_page(
    rig: LockerRig, settings: Settings, port: int = 0, keypad: Keypad | None = None
) -> DoorsPage:
    """The page on loopback, its address written under the data dir; refused in production."""
    if settings.mode is Mode.PRODUCTION:
        raise StartupError(
            "the simulated locker doors page is for development only; production has real doors"
        )
    page = DoorsPage(rig, port, keypad)
    page.start()
    write_url(settings, URL_FILE, page.url)
    log.info("the demo's locker doors: %s", page.url)
    return page
