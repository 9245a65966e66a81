"""The docs stay true to the tree: every file the architecture page names exists, every relative link
in the docs, the decision records and the bench results leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("hall", "case_service", "hall_controller", "kiosk", "devices", "firmware_sim", "tools")
ROOMS = (*PACKAGES, "bench", "soak", "deploy", "tests", "docs", "scripts")
CODE_PATH = re.compile(r"`((?:" + "|".join(ROOMS) + r")/[A-Za-z0-9_./-]*)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
DOCS = sorted(
    [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "bench" / "results").glob("*.md")]
)


def test_every_path_the_architecture_page_names_exists() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(CODE_PATH.findall(text))
    assert len(named) > 40  # the page names the files; a broken pattern must not pass for an empty page
    missing = sorted(path for path in named if not (ROOT / path.rstrip("/")).exists())
    assert missing == [], f"docs/architecture.md names paths that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_resolve(doc: Path) -> None:
    broken = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "mailto:", "#")):
            continue
        if not (doc.parent / target.split("#", 1)[0]).exists():
            broken.append(target)
    assert broken == [], f"{doc.relative_to(ROOT)} links to what does not exist: {broken}"
