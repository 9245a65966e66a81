"""Display links: signed for one hall and one screen, expiring, never a staff token."""

from __future__ import annotations

import pytest

from case_service.auth.tokens import Principal, PrincipalKind, TokenSigner
from case_service.domain.states import Role
from hall_controller.display_links import DisplayLinkError, DisplayLinks

KEY = "k" * 40


def test_a_link_reads_back_for_its_hall_until_it_expires() -> None:
    links = DisplayLinks(KEY, "hall-1")
    token, link = links.issue("hall-tv-1", 2, now=1_000_000)
    assert links.read(token, now=1_000_000 + 86400).device_id == "hall-tv-1"
    assert link.expires_at == 1_000_000 + 2 * 86400
    with pytest.raises(DisplayLinkError, match="expired"):
        links.read(token, now=link.expires_at + 1)
    with pytest.raises(DisplayLinkError, match="hall"):
        DisplayLinks(KEY, "hall-2").read(token, now=1_000_000)
    with pytest.raises(DisplayLinkError, match="signature"):
        DisplayLinks("x" * 40, "hall-1").read(token, now=1_000_000)


def test_tampered_and_foreign_tokens_are_refused() -> None:
    links = DisplayLinks(KEY, "hall-1")
    token, _ = links.issue("hall-tv-1", 1)
    prefix, body, signature = token.split(".")
    with pytest.raises(DisplayLinkError):
        links.read(f"{prefix}.{body}x.{signature}")
    staff, _ = TokenSigner(KEY).issue(Principal(PrincipalKind.STAFF, "m", frozenset({Role.MANAGER})), 60)
    with pytest.raises(DisplayLinkError):
        links.read(staff)  # a staff token under the same key is not a display link
    with pytest.raises(DisplayLinkError):
        links.read("d1." + staff.split(".", 1)[1])


@pytest.mark.parametrize(("device_id", "days"), [("Hall TV", 1), ("", 1), ("tv-1", 0), ("tv-1", 400)])
def test_bad_screen_ids_and_lengths_are_refused(device_id: str, days: int) -> None:
    with pytest.raises(DisplayLinkError):
        DisplayLinks(KEY, "hall-1").issue(device_id, days)
