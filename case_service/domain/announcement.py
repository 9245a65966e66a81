"""The State Council's holiday announcement (国务院办公厅关于某年部分节假日安排的通知), read into days.

`parse_announcement` takes the announcement's text as published, e.g.

    二、春节:1月28日(农历除夕、周二)至2月4日(农历正月初七、周二)放假调休,共8天。1月26日(周日)、
    2月8日(周六)上班。

or a table, one day a line: `2027-01-01 放假 元旦` / `2027-02-06,上班,春节` (放假/休息/holiday, 上班/
workday). It returns every day off and every swapped working day of the year, or raises InvalidInputError
naming the line it could not read. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from case_service.domain.errors import InvalidInputError

SATURDAY = 5
_TITLE_YEAR = re.compile(r"关于\s*(\d{4})\s*年")
_SECTION = re.compile(r"(?:^|\n|。)\s*[一二三四五六七八九十]+\s*[、.．]\s*([^：:\n]+?)\s*[：:]")
_PARENS = re.compile(r"[（(][^）)]*[）)]")
_DATE = r"(?:(\d{4})年)?(?:(\d{1,2})月)?(\d{1,2})日"
_RANGE = re.compile(_DATE + r"(?:\s*[至到—–-]\s*" + _DATE + r")?")
_TOTAL = re.compile(r"共\s*(\d+)\s*天")
_TABLE_LINE = re.compile(
    r"^\s*(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?\s*[,，\t ]\s*(放假|休息|休|holiday|上班|班|workday)"
    r"\s*(?:[,，\t ]\s*(.*?))?\s*$",
    re.IGNORECASE,
)
_WORK_WORDS = ("上班", "班", "workday")


@dataclass(frozen=True)
class AnnouncedDay:
    day: dt.date
    is_working_day: bool
    name: str  # the holiday it belongs to: 春节, 国庆节、中秋节 …


@dataclass(frozen=True)
class Announcement:
    year: int
    days: tuple[AnnouncedDay, ...]

    @property
    def holidays(self) -> tuple[AnnouncedDay, ...]:
        return tuple(day for day in self.days if not day.is_working_day)

    @property
    def workdays(self) -> tuple[AnnouncedDay, ...]:
        return tuple(day for day in self.days if day.is_working_day)


def parse_announcement(text: str, year: int | None = None) -> Announcement:
    """The days of one year's announcement; `year` is read from the title when not given."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise InvalidInputError("公告内容为空:请粘贴国务院办公厅的节假日安排通知或日期表")
    if _looks_like_table(text):
        days = _parse_table(text)
        return _checked(Announcement(year or _main_year(days), tuple(days)))
    if year is None:
        titled = _TITLE_YEAR.search(text)
        if titled is None:
            raise InvalidInputError(
                "没有找到年份:请粘贴含标题的通知全文(关于某年部分节假日安排的通知),或注明年份"
            )
        year = int(titled.group(1))
    return _checked(Announcement(year, tuple(_parse_text(text, year))))


def _looks_like_table(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and sum(bool(_TABLE_LINE.match(line)) for line in lines) * 2 > len(lines)


def _parse_table(text: str) -> list[AnnouncedDay]:
    days = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _TABLE_LINE.match(line)
        if match is None:
            raise InvalidInputError(
                f"第{number}行无法识别:应为「2027-01-01 放假 元旦」或「2027-02-06 上班 春节」"
            )
        y, m, d, word, name = match.groups()
        day = _date(int(y), int(m), int(d), number)
        days.append(AnnouncedDay(day, word.lower() in _WORK_WORDS, (name or "").strip()))
    return days


def _parse_text(text: str, year: int) -> list[AnnouncedDay]:
    sections = list(_SECTION.finditer(text))
    if not sections:
        raise InvalidInputError("没有找到节日安排:通知正文应有「一、元旦:……」这样的条目")
    days: list[AnnouncedDay] = []
    for index, section in enumerate(sections):
        name = section.group(1).strip()
        end = sections[index + 1].start() if index + 1 < len(sections) else len(text)
        body = _PARENS.sub("", text[section.end() : end])
        days.extend(_section_days(name, body, year))
    return days


def _section_days(name: str, body: str, year: int) -> list[AnnouncedDay]:
    sentences = [sentence for sentence in re.split(r"[。;；\n]", body) if sentence.strip()]
    off = [sentence for sentence in sentences if "放假" in sentence]
    if not off:
        raise InvalidInputError(f"「{name}」没有放假日期")
    match = _RANGE.search(off[0])
    if match is None:
        raise InvalidInputError(f"「{name}」的放假日期无法识别:{off[0].strip()}")
    first, last = _range(match, year, name)
    holidays = [first + dt.timedelta(days=offset) for offset in range((last - first).days + 1)]
    total = _TOTAL.search(off[0])
    if total and int(total.group(1)) != len(holidays):
        raise InvalidInputError(
            f"「{name}」放假{first:%m月%d日}至{last:%m月%d日}共{len(holidays)}天,与通知所写「共{total.group(1)}天」不符"
        )
    result = [AnnouncedDay(day, False, name) for day in holidays]
    for sentence in sentences:
        if "上班" in sentence:
            for work in _RANGE.finditer(sentence):
                day = _date(int(work.group(1) or year), int(work.group(2) or 0), int(work.group(3)), name)
                result.append(AnnouncedDay(day, True, name))
    return result


def _range(match: re.Match[str], year: int, name: str) -> tuple[dt.date, dt.date]:
    y1, m1, d1, y2, m2, d2 = match.groups()
    if m1 is None:
        raise InvalidInputError(f"「{name}」的放假日期缺少月份")
    first = _date(int(y1 or year), int(m1), int(d1), name)
    if d2 is None:
        return first, first
    last = _date(int(y2 or first.year), int(m2 or first.month), int(d2), name)
    if last < first and y2 is None and m2 is None:
        raise InvalidInputError(f"「{name}」的放假结束日早于开始日")
    if last < first:
        last = last.replace(year=last.year + 1)
    return first, last


def _date(year: int, month: int, day: int, where: str | int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError as err:
        place = f"第{where}行" if isinstance(where, int) else f"「{where}」"
        raise InvalidInputError(f"{place}的日期 {year}年{month}月{day}日 不存在") from err


def _main_year(days: list[AnnouncedDay]) -> int:
    years = [day.day.year for day in days]
    return max(set(years), key=years.count)


def _checked(announcement: Announcement) -> Announcement:
    seen: dict[dt.date, AnnouncedDay] = {}
    for day in announcement.days:
        if day.day in seen and seen[day.day].is_working_day != day.is_working_day:
            raise InvalidInputError(f"{day.day:%Y年%m月%d日}既是假日又是上班日")
        seen[day.day] = day
        if day.is_working_day and day.day.weekday() < SATURDAY:
            raise InvalidInputError(f"调休上班日 {day.day:%Y年%m月%d日} 不是周末:请核对")
        if abs(day.day.year - announcement.year) > 1:
            raise InvalidInputError(f"{day.day:%Y年%m月%d日}不属于{announcement.year}年的安排")
    if not any(not day.is_working_day for day in seen.values()):
        raise InvalidInputError("没有读到任何放假日")
    return Announcement(announcement.year, tuple(seen[day] for day in sorted(seen)))
