"""Start-up work: migrations, the bundled catalogue, and demo staff accounts in development mode."""

from __future__ import annotations

import logging

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from case_service.auth.passwords import hash_secret
from case_service.catalogue import service as catalogue
from case_service.storage import audit
from case_service.storage.migrate import upgrade
from case_service.storage.models import User

log = logging.getLogger(__name__)

# username -> (display name, roles, department); password "demo-<username>" (development mode only).
DEMO_STAFF: dict[str, tuple[str, list[str], str | None]] = {
    "admin": ("系统管理员", ["admin"], None),
    "clerk1": ("综合窗口 王芳", ["clerk"], None),
    "reviewer1": ("市场监管局 李强", ["reviewer"], "州市场监管局"),
    "approver1": ("市场监管局 赵敏", ["approver"], "州市场监管局"),
    "sealer1": ("行政审批局 陈静", ["sealer"], None),
    "manager1": ("大厅管理 刘洋", ["manager"], None),
    # The joint department of 企业设立、变更、注销登记 (513200-XK-SJ-0511), so the demo walks a joint case.
    "taxreviewer1": ("税务局 周婷", ["reviewer"], "州税务局"),
}


def demo_password(username: str) -> str:
    return f"demo-{username}"


# argon2 hashes of the public demo passwords, made once: hashing seven of them at every start costs seconds.
# (tests/case_service/storage/test_bootstrap.py checks that each still verifies.)
DEMO_HASHES: dict[str, str] = {
    "admin": "$argon2id$v=19$m=65536,t=3,p=4$1zbkcXX3iLBZiIqPh595hA$PY0GM2RRLvwnaSwChx1wkWH3mWwHKUT756eYhCeCeNg",  # noqa: E501
    "clerk1": "$argon2id$v=19$m=65536,t=3,p=4$ZTQcwbwdwTJkDX+PslX6vg$s7Fx0vbZcbhTm01J4BEcMeZr1rL/06B1CCBynmO26ys",  # noqa: E501
    "reviewer1": "$argon2id$v=19$m=65536,t=3,p=4$SRBvh69b+YfRfJgkMuwlkA$xzut+PboRHK1yVOnmD+3XVyFCFhEcgQdbcWwEDY3aKM",  # noqa: E501
    "approver1": "$argon2id$v=19$m=65536,t=3,p=4$Uov345twmXyK4/7b4RIiKg$mnDe/vnQH+qt9OXPUAKKhntJrwIAZqYpSqwB2TKzPxs",  # noqa: E501
    "sealer1": "$argon2id$v=19$m=65536,t=3,p=4$9vqIo59pbPP4IEenYYtO9w$nAM3k9IXH/za7ca1IlxzhMCIoL5wegxJBqB7rVnoo64",  # noqa: E501
    "manager1": "$argon2id$v=19$m=65536,t=3,p=4$pCD2O034K+A9Pgg5XWYWSg$AoOlj2t2OIKz9qcte4xbgDOPd47EZUfrvpE8zqsBo7E",  # noqa: E501
    "taxreviewer1": "$argon2id$v=19$m=65536,t=3,p=4$H+oeE2Vl7EroHivWyWpzeg$m/WTYjffEFsb6wAJZZ9ZqhJw2HlAZuhbEp8x8JLLocs",  # noqa: E501
}


def _demo_hash(username: str) -> str:
    return DEMO_HASHES.get(username) or hash_secret(demo_password(username))


def ensure_demo_staff(session: Session) -> int:
    created = 0
    for username, (display, roles, department) in DEMO_STAFF.items():
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        session.add(
            User(
                username=username,
                display_name=display,
                password_hash=_demo_hash(username),
                roles=roles,
                department=department,
            )
        )
        audit.append(
            session,
            actor="system:bootstrap",
            action="user.create",
            subject_type="user",
            subject_id=username,
            after={"roles": roles, "department": department, "demo": True},
        )
        created += 1
    return created


def prepare_database(engine: Engine, sessions: sessionmaker[Session], *, demo_staff: bool) -> None:
    upgrade(engine)
    with sessions() as session:
        catalogue.import_bundled(session)
        if demo_staff and ensure_demo_staff(session):
            log.warning("development mode: demo staff accounts exist (password demo-<username>)")
        session.commit()
