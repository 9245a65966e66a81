"""The case operations, by what they do; routes call them through this module.

Reading within scope: cases.reading. Filing (the submission's hot path): cases.filing. Actions through
the legal rules (domain.transitions): cases.actions. Materials and completeness: cases.materials.
"""

from __future__ import annotations

from case_service.cases.actions import accept_if_lapsed, act, evaluate, sweep
from case_service.cases.context import ID_CONTEXT, PHONE_CONTEXT, Context, Viewer
from case_service.cases.filing import Applicant, Filer, submission_reads, submit
from case_service.cases.materials import (
    add_material,
    case_materials,
    completeness,
    item_material_names,
    library,
    read_material,
    sniff_type,
)
from case_service.cases.reading import (
    CaseQuery,
    assess_deadline,
    deadline_of,
    department_scope,
    find_by_number,
    history,
    list_cases,
    load,
    load_status,
    open_cases_of_queue_person,
    release_contact,
)
from case_service.domain.transitions import ActionInput
from case_service.storage.case_rows import StatusRow

__all__ = [
    "ID_CONTEXT",
    "PHONE_CONTEXT",
    "ActionInput",
    "Applicant",
    "CaseQuery",
    "Context",
    "Filer",
    "StatusRow",
    "Viewer",
    "accept_if_lapsed",
    "act",
    "add_material",
    "assess_deadline",
    "case_materials",
    "completeness",
    "deadline_of",
    "department_scope",
    "evaluate",
    "find_by_number",
    "history",
    "item_material_names",
    "library",
    "list_cases",
    "load",
    "load_status",
    "open_cases_of_queue_person",
    "read_material",
    "release_contact",
    "sniff_type",
    "submission_reads",
    "submit",
    "sweep",
]
