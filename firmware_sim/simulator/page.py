"""The hall simulator page: a person's hands at the demo's kiosk, from any browser on the machine.

Tap a sample person's ID card on the kiosk's reader (or an expired one) and pull it off, hold up a QR code
(an e-ID of a sample person or of anyone named, or a pickup QR pasted from the SMS), lay a document on the
desk (its camera then sees a desk scene with the page), take the paper out of the printer, shut a locker
door. The kiosk's simulated devices read all of this from here
(firmware_sim/simulator/bench.py): nothing of it lives in the kiosk's process.

Development mode only: `start_simulator` refuses production (a real hall has real devices), and the page
listens on loopback only; a form posted from another site's page is refused. `hall devices` starts it
and writes its address to `<data_dir>/run/hall-simulator.url`, which `hall demo` prints and gives the
kiosk (HALL_KIOSK__SIMULATOR_URL).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from devices.idcard.identity import Identity
from firmware_sim.lockers.doors_page import DoorsPage
from firmware_sim.loopback import LoopbackPage, back_to_page, from_another_site, message_of, send, write_url
from firmware_sim.simulator.bench import SAMPLE_PEOPLE, KioskBench, named_person, sample_person
from hall.errors import StartupError
from hall.settings import Mode, Settings

log = logging.getLogger(__name__)
URL_FILE = Path("run") / "hall-simulator.url"
# Issues an e-ID QR text for (name, ID number), as the issuer's app shows it (the development issuer).
EidIssuer = Callable[[str, str], str]


class SimulatorPage(LoopbackPage):
    """The page's HTTP server (stdlib, a thread) over one kiosk's bench; `url` once started."""

    def __init__(
        self,
        bench: KioskBench,
        *,
        eid: EidIssuer | None = None,
        doors: DoorsPage | None = None,
        port: int = 0,
    ) -> None:
        self.bench, self.eid, self.doors = bench, eid, doors
        page = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                log.debug("hall simulator: " + format, *args)

            def do_GET(self) -> None:
                path = self.path.partition("?")[0]
                if path == "/":
                    body = page.render(message_of(self.path)).encode("utf-8")
                    send(self, HTTPStatus.OK, "text/html; charset=utf-8", body)
                elif path == "/kiosk/devices":
                    answer = {"card_reader": bench.card_reader_port, "paper": bench.paper}
                    send(self, HTTPStatus.OK, "application/json", json.dumps(answer).encode())
                elif path == "/kiosk/scanner":
                    answer = {"code": bench.next_code()}
                    send(self, HTTPStatus.OK, "application/json", json.dumps(answer).encode())
                elif path == "/kiosk/desk/frame":
                    send(self, HTTPStatus.OK, "image/jpeg", bench.camera_frame())
                else:
                    self.send_error(HTTPStatus.NOT_FOUND)

            def do_POST(self) -> None:
                if from_another_site(self):
                    self.send_error(HTTPStatus.FORBIDDEN)
                    return
                length = min(int(self.headers.get("Content-Length") or 0), 4000)
                form = {
                    name: values[0].strip()
                    for name, values in parse_qs(self.rfile.read(length).decode("utf-8", "replace")).items()
                }
                said = page.act(self.path, form)
                if said is None:
                    self.send_error(HTTPStatus.NOT_FOUND)
                    return
                back_to_page(self, said)

        super().__init__(Handler, port, "hall-simulator")

    def stop(self) -> None:
        super().stop()
        self.bench.close()

    def act(self, path: str, form: dict[str, str]) -> str | None:
        """What a person does at the kiosk (or a locker); the sentence the page shows after it."""
        bench = self.bench
        if path == "/card":
            person = sample_person(form.get("person", ""))
            if person is not None:
                bench.place_person(person.identity)
                return f"已在自助机读卡器放上身份证：{person.label}"
            return self._own_card(form.get("name", ""), form.get("born", ""))
        if path == "/card/pull":
            bench.pull_card()
            return "已从读卡器拿走身份证"
        if path == "/qr":
            return self._qr(form)
        if path == "/desk":
            lying = form.get("lying") == "1"
            bench.put_document(lying)
            return "材料已放在高拍仪下" if lying else "已从高拍仪下拿走材料"
        if path == "/printer":
            loaded = form.get("paper") == "1"
            bench.set_paper(loaded)
            return "打印机已装纸" if loaded else "打印机已缺纸"
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "locker" and parts[1].isdigit() and parts[2] == "close":
            if self.doors is None:
                return "本演示没有智能柜"
            return self.doors.act(int(parts[1]), "close")
        return None

    def _own_card(self, name: str, born: str) -> str:
        """A card of someone the person names (a name of 1–15 characters, a birth date), e.g. for tests."""
        identity = _named(name, born)
        if isinstance(identity, str):
            return identity
        self.bench.place_person(identity)
        return f"已在自助机读卡器放上身份证：{name}"

    def _qr(self, form: dict[str, str]) -> str:
        person = sample_person(form.get("eid", ""))
        named = _named(form["eid_name"], form.get("born", "")) if form.get("eid_name") else None
        if isinstance(named, str):
            return named
        identity = person.identity if person is not None else named
        if identity is not None:
            if self.eid is None:
                return "本演示没有电子身份证签发方"
            self.bench.show_code(self.eid(identity.name, identity.id_number))
            return f"已向扫码口出示电子身份证二维码：{person.label if person else identity.name}"
        text = form.get("text", "")
        if not text or len(text) > 2000 or not text.isprintable():
            return "请粘贴二维码内容（如短信中的取件二维码）"
        self.bench.show_code(text)
        return "已向扫码口出示二维码"

    def render(self, message: str = "") -> str:
        bench = self.bench
        people = "".join(
            f'<form method="post" action="/card"><input type="hidden" name="person" value="{p.key}">'
            f'<button id="card-{p.key}">刷身份证：{html.escape(p.label)}</button></form>'
            for p in SAMPLE_PEOPLE
        )
        eids = "".join(
            f'<form method="post" action="/qr"><input type="hidden" name="eid" value="{p.key}">'
            f'<button id="eid-{p.key}">电子身份证：{html.escape(p.label)}</button></form>'
            for p in SAMPLE_PEOPLE
            if p.key != "expired"
        )
        lying = "有材料" if bench.document else "空"
        paper = "有纸" if bench.paper else "缺纸"
        doors = ""
        if self.doors is not None:
            rig = self.doors.rig
            open_doors = [n for n in sorted(rig.bank.slots) if _is_open(*rig.firmware(n))]
            buttons = "".join(
                f'<form method="post" action="/locker/{n}/close"><button>关上第 {n} 格柜门</button></form>'
                for n in open_doors
            )
            doors = (
                f"<h2>智能柜</h2><p>开着的柜门：{', '.join(map(str, open_doors)) or '无'}</p>{buttons}"
                f'<p><a href="{html.escape(self.doors.url)}">智能柜的全部柜门和柜机键盘</a></p>'
            )
        said = f'<p class="message" id="message">{html.escape(message)}</p>' if message else ""
        return (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>大厅模拟器</title><style>"
            "body{font-family:sans-serif;margin:1.5rem;max-width:52rem}form{display:inline-block;margin:.2rem}"
            "button{font-size:1rem;padding:.5rem .8rem}section{border-top:1px solid #ccc;margin-top:1rem}"
            ".message{background:#e8f4e8;padding:.5rem}.muted{color:#666}input{font-size:1rem}</style>"
            "</head><body><h1>大厅模拟器（仅开发模式）</h1>"
            '<p class="muted">模拟申请人在自助机前的动作：自助机的读卡器、扫码口、高拍仪和打印机'
            "都在这里，不在自助机程序里。</p>"
            f"{said}"
            "<section><h2>身份证读卡器</h2>"
            f'<p id="reader">读卡器上：{html.escape(bench.on_reader) or "无"}</p>{people}'
            '<form method="post" action="/card/pull"><button id="card-pull">拿走身份证</button></form>'
            '<form method="post" action="/card"><input name="name" aria-label="姓名" placeholder="姓名" '
            'maxlength="15" autocomplete="off"> <input name="born" aria-label="出生日期" '
            'placeholder="出生日期 1990-03-07" maxlength="10" autocomplete="off"> '
            "<button>刷此人的身份证</button></form></section>"
            f"<section><h2>扫码口</h2>{eids}"
            '<form method="post" action="/qr"><input name="eid_name" aria-label="电子身份证姓名" '
            'placeholder="姓名" maxlength="15" autocomplete="off"> <input name="born" '
            'aria-label="电子身份证出生日期" placeholder="出生日期 1990-03-07" maxlength="10" '
            'autocomplete="off"> <button>出示此人的电子身份证</button></form>'
            '<form method="post" action="/qr"><input name="text" aria-label="二维码内容" size="40" '
            'placeholder="二维码内容，如短信中的取件二维码" autocomplete="off"> '
            '<button id="qr-show">出示二维码</button></form></section>'
            f'<section><h2>高拍仪</h2><p id="desk">台面：{lying}</p>'
            '<form method="post" action="/desk"><input type="hidden" name="lying" value="1">'
            '<button id="desk-put">放上一页材料</button></form>'
            '<form method="post" action="/desk"><input type="hidden" name="lying" value="0">'
            '<button id="desk-clear">拿走材料</button></form></section>'
            f'<section><h2>打印机</h2><p id="printer">纸张：{paper}</p>'
            '<form method="post" action="/printer"><input type="hidden" name="paper" value="0">'
            '<button id="paper-out">取出纸张（缺纸）</button></form>'
            '<form method="post" action="/printer"><input type="hidden" name="paper" value="1">'
            '<button id="paper-in">装纸</button></form></section>'
            f"<section>{doors}</section></body></html>"
        )


def _named(name: str, born: str) -> Identity | str:
    """The person someone names (a name of 1–15 characters, a birth date), or what is wrong with it."""
    try:
        birth = dt.date.fromisoformat(born) if born else dt.date(1990, 3, 7)
    except ValueError:
        return "出生日期应为 YYYY-MM-DD"
    if not 1 <= len(name) <= 15 or not name.isprintable():
        return "姓名应为 1 至 15 个字"
    return named_person(name, birth)


def _is_open(board: Any, lock: int) -> bool:
    return bool(board.truly_open(lock))


def development_eid_issuer(secret_key: str) -> EidIssuer:
    """The development e-ID issuer the case service trusts in development mode (from HALL_SECRET_KEY)."""
    from case_service.api.routes.applicant_signin import dev_eid_issuer, issue_eid

    key = dev_eid_issuer(secret_key)
    return lambda name, id_number: issue_eid(key, name, id_number)


def start_simulator(settings: Settings, *, doors: DoorsPage | None = None, port: int = 0) -> SimulatorPage:
    """The kiosk's bench and its page on loopback, the address written under the data dir; refused in
    production."""
    if settings.mode is Mode.PRODUCTION:
        raise StartupError("the hall simulator is for development only; production has real devices")
    page = SimulatorPage(
        KioskBench(),
        eid=development_eid_issuer(settings.secret_key.get_secret_value()),
        doors=doors,
        port=port,
    )
    page.start()
    write_url(settings, URL_FILE, page.url)
    log.info("the hall simulator: %s", page.url)
    return page
