"""What the hall says when a ticket is called: display text and speech text, in Chinese and English.

Ticket numbers are spoken digit by digit, as halls do ("A 零一二 号"), so "A012" is never read "A 十二".
"""

from __future__ import annotations

from dataclasses import dataclass

_ZH_DIGITS = "零一二三四五六七八九"
_EN_DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@dataclass(frozen=True, slots=True)
class Announcement:
    text_zh: str  # shown on screens
    text_en: str
    speech_zh: str  # handed to the speech synthesiser
    speech_en: str


def spell_zh(number: str) -> str:
    return " ".join(_ZH_DIGITS[int(char)] if char.isdigit() else char for char in number)


def spell_en(number: str) -> str:
    return " ".join(_EN_DIGITS[int(char)] if char.isdigit() else char for char in number)


def call_announcement(number: str, window: int, *, recall: bool = False) -> Announcement:
    """'请 A012 号到 3 号窗口办理' and its English twin; a recall says so."""
    again_zh = "再次" if recall else ""
    again_en = ", again" if recall else ""
    return Announcement(
        text_zh=f"请 {number} 号{again_zh}到 {window} 号窗口办理",
        text_en=f"Number {number}, please go to window {window}{again_en}.",
        speech_zh=f"请 {spell_zh(number)} 号{again_zh}到 {window} 号窗口办理",
        speech_en=f"Number {spell_en(number)}, please go to window {window}{again_en}.",
    )


def led_text(number: str, window: int) -> str:
    """The short line a window's LED shows."""
    return f"{number} → {window}号窗口"


def rating_prompt() -> Announcement:
    return Announcement(
        text_zh="请对本次服务进行评价",
        text_en="Please rate our service.",
        speech_zh="请对本次服务进行评价",
        speech_en="Please rate our service.",
    )
