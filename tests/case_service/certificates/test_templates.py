"""One template per catalogue item: the certificate's name, its scope label, its default validity."""

from __future__ import annotations

import datetime as dt

import pytest

from case_service.certificates.templates import GENERIC, TEMPLATES, default_valid_until, template_for


@pytest.mark.parametrize(
    ("item_code", "valid_from", "valid_until"),
    [
        ("513200-XK-SJ-0529", dt.date(2026, 11, 21), dt.date(2031, 11, 20)),  # food: 5 years
        ("513200-XK-RS-0153", dt.date(2026, 1, 1), dt.date(2028, 12, 31)),  # labour dispatch: 3 years
        ("513200-XK-SJ-0510", dt.date(2026, 8, 31), dt.date(2027, 2, 27)),  # name: 6 months, clamped
        ("513200-XK-SJ-0510", dt.date(2027, 8, 31), dt.date(2028, 2, 28)),  # ... in a leap year
        ("513200-XK-SJ-0511", dt.date(2026, 11, 21), None),  # business licence: no time limit
        ("999999-XX-XX-0000", dt.date(2026, 11, 21), None),  # not in the catalogue: generic
    ],
)
def test_default_validity(item_code: str, valid_from: dt.date, valid_until: dt.date | None) -> None:
    assert default_valid_until(template_for(item_code), valid_from) == valid_until


def test_every_catalogue_item_with_details_has_its_own_template() -> None:
    import json
    from pathlib import Path

    import case_service.catalogue

    details = json.loads((Path(case_service.catalogue.__file__).parent / "data" / "details.json").read_text())

    assert set(details) <= set(TEMPLATES)
    assert template_for("no-such-item") is GENERIC
