"""The locker repository on SQLite and PostgreSQL: concurrent clerks never share a compartment."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from hall_controller.lockers.allocation import Size
from hall_controller.lockers.repository import (
    CaseAlreadyDepositedError,
    LockerRepository,
    NoCompartmentError,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def repository(database_url: str) -> Iterator[LockerRepository]:
    repository = LockerRepository(database_url)
    repository.create_schema()
    yield repository
    repository.dispose()


def test_claim_is_best_fit_and_registering_twice_keeps_state(repository: LockerRepository) -> None:
    repository.add_compartments("bank-a", [Size.L, Size.S, Size.M])
    deposit, compartment = repository.claim("case-1", Size.S, None, 1.0)
    assert compartment.number == 2 and compartment.state == "reserved"
    assert deposit.compartment_id == compartment.id and deposit.state == "depositing"
    repository.add_compartments("bank-a", [Size.L, Size.S, Size.M])
    reloaded = repository.compartment(compartment.id)
    assert reloaded is not None and reloaded.state == "reserved"


def test_one_case_gets_one_active_deposit(repository: LockerRepository) -> None:
    repository.add_compartments("bank-a", [Size.M, Size.M])
    repository.claim("case-1", Size.M, None, 1.0)
    with pytest.raises(CaseAlreadyDepositedError):
        repository.claim("case-1", Size.M, None, 2.0)
    # The refused claim left its compartment free.
    assert [c.state for c in repository.compartments()] == ["reserved", "free"]


def test_concurrent_clerks_never_get_the_same_compartment(repository: LockerRepository) -> None:
    repository.add_compartments("bank-a", [Size.M] * 6)
    results: list[str] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(12)

    def clerk(index: int) -> None:
        start.wait()
        try:
            _deposit, compartment = repository.claim(f"case-{index}", Size.S, None, float(index))
            results.append(compartment.id)
        except NoCompartmentError:
            refused.append(f"case-{index}")
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=clerk, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len(results) == 6 and len(set(results)) == 6
    assert len(refused) == 6
    states = {c.id: (c.state, c.deposit_id) for c in repository.compartments()}
    assert all(state == "reserved" and deposit for state, deposit in states.values())


def test_a_transition_happens_once_under_a_race(repository: LockerRepository) -> None:
    repository.add_compartments("bank-a", [Size.M])
    deposit, _ = repository.claim("case-1", Size.M, None, 1.0)
    repository.transition(deposit.id, ["depositing"], "ready")
    wins: list[bool] = []
    start = threading.Barrier(8)

    def take() -> None:
        start.wait()
        wins.append(repository.transition(deposit.id, ["ready"], "collecting"))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert wins.count(True) == 1


def test_audit_and_failures_are_kept(repository: LockerRepository) -> None:
    repository.audit("admin_open", actor="admin-1", compartment_id="bank-a/01", reason="检修")
    repository.record_failure(["bank:bank-a", "deposit:d1"], 5.0)
    assert repository.failures("bank:bank-a", 0.0) == [5.0]
    [entry] = repository.audit_trail("bank-a/01")
    assert entry["actor"] == "admin-1" and entry["detail"] == {"reason": "检修"}
