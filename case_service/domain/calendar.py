"""Working days in China for the case service's rules: the hall's one calendar, hall/calendar.py."""

from hall.calendar import WorkingCalendar, WorkingDay, china_calendar, weekend_only_calendar

__all__ = ["WorkingCalendar", "WorkingDay", "china_calendar", "weekend_only_calendar"]
