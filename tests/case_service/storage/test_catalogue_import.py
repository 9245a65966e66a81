"""The bundled catalogue over time: it brings its own versions up to date, never an administrator's; the
migration that records who made each version."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from case_service.catalogue.service import IMPORT_ACTOR, bundled_items, import_bundled, put_version
from case_service.db import make_engine
from case_service.storage.migrate import alembic_config
from case_service.storage.models import Item

FOOD, COMPANY = "513200-XK-SJ-0529", "513200-XK-SJ-0511"


def _current(session: Session, code: str) -> Item:
    item = session.scalar(select(Item).where(Item.code == code, Item.is_current.is_(True)))
    assert item is not None
    return item


def test_the_bundled_data_updates_only_the_versions_it_made(engine: Engine) -> None:
    with Session(engine) as session:
        assert import_bundled(session) == 75
        session.commit()
        put_version(session, {"code": COMPANY, "status": "suspended"}, actor="staff:admin")
        # Both as an older release left them: no guide fields, no materials yet.
        session.execute(update(Item).where(Item.code.in_([FOOD, COMPANY])).values(guide={}, materials=[]))
        session.commit()
        assert import_bundled(session) == 1
        session.commit()
        food, company = _current(session, FOOD), _current(session, COMPANY)
        bundled = next(item for item in bundled_items() if item["code"] == FOOD)
        assert (food.version, food.made_by) == (2, IMPORT_ACTOR)
        assert food.materials == bundled["materials"] and food.materials
        assert food.guide == {name: bundled[name] for name in food.guide}
        assert (company.version, company.made_by, company.status, company.materials) == (
            2,
            "staff:admin",
            "suspended",
            [],
        )
        assert import_bundled(session) == 0


def test_the_migration_names_who_made_the_versions_already_there(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0003_signin_state")
            item = {
                "is_current": False,
                "name": "食品经营许可",
                "department": "州市场监管局",
                "kind": "行政许可",
                "category": "经营类",
                "legal_basis": "",
                "implementing_unit": "",
                "applicant_type": "",
                "materials": "[]",
                "legal_limit_days": 20,
                "promised_limit_days": 10,
                "stage_budgets": "{}",
                "fees": "[]",
                "unified_seal": True,
                "channels": '["window"]',
                "joint_departments": "[]",
                "status": "active",
                "exercise_level_note": "",
                "source": "",
                "created_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            }
            columns = ", ".join(["code", "version", *item])
            values = ", ".join([":code", ":version", *(f":{name}" for name in item)])
            insert = sa.text(f"INSERT INTO items ({columns}) VALUES ({values})")
            for code, version in ((FOOD, 1), (FOOD, 2), (FOOD, 3), (COMPANY, 1)):
                connection.execute(insert, {**item, "code": code, "version": version})
            connection.execute(
                sa.text(
                    "INSERT INTO audit_entries (seq, at, actor, action, subject_type, subject_id, after,"
                    " prev_hash, hash) VALUES (1, :at, 'staff:admin', 'item.version', 'item', :code,"
                    " :after, '', '')"
                ),
                {"at": item["created_at"], "code": FOOD, "after": '{"version": 2, "status": "active"}'},
            )
            command.upgrade(config, "heads")
            made = connection.execute(
                sa.text("SELECT code, version, made_by FROM items ORDER BY code, version")
            )
            assert [tuple(row) for row in made] == [
                (COMPANY, 1, IMPORT_ACTOR),
                (FOOD, 1, IMPORT_ACTOR),
                (FOOD, 2, "staff:admin"),
                (FOOD, 3, ""),  # no record of who made it: treated as an administrator's, never overwritten
            ]
    finally:
        engine.dispose()
