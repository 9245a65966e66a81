"""`hall catalogue export|import`: the spreadsheet exchange run against the configured database."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from case_service.catalogue import exchange, spreadsheet
from case_service.catalogue.service import import_bundled
from case_service.db import make_engine, make_session_factory
from case_service.storage.migrate import upgrade
from hall.settings import Settings


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """The database as the case service prepares it at start (migrated, the bundled items seeded)."""
    engine = make_engine(settings.resolved_database_url)
    try:
        upgrade(engine)
        with make_session_factory(engine)() as session:
            import_bundled(session)
            session.commit()
            yield session
    finally:
        engine.dispose()


def export_file(settings: Settings, path: Path) -> int:
    """Writes the current catalogue to `path` (.xlsx), or to `<path>-items.csv` and `<path>-materials.csv`
    when `path` ends in .csv; returns how many items were written."""
    with _session(settings) as session:
        if path.suffix.lower() == ".csv":
            stem = path.with_suffix("")
            for sheet in ("items", "materials"):
                Path(f"{stem}-{sheet}.csv").write_bytes(exchange.export_csv(session, sheet))
        else:
            path.write_bytes(exchange.export_xlsx(session))
        return len(exchange.current_items(session))


def import_file(
    settings: Settings, path: Path, *, materials: Path | None = None, confirm: bool = False
) -> exchange.ImportPlan:
    """Reads an .xlsx (or an items CSV and, optionally, its materials CSV) and shows or makes the changes.
    The versions are made by `cli:<login name>`, so the bundled data never overwrites them."""
    if path.suffix.lower() == ".csv":
        items_table = spreadsheet.read_csv(path.read_bytes())
        materials_table = spreadsheet.read_csv(materials.read_bytes()) if materials else None
    else:
        items_table, materials_table = spreadsheet.read_xlsx(path.read_bytes())
    with _session(settings) as session:
        plan, _created = exchange.import_tables(
            session,
            items_table,
            materials_table,
            confirm=confirm,
            actor=f"cli:{getpass.getuser()}",
            source=path.name,
        )
        if confirm:
            session.commit()
    return plan
