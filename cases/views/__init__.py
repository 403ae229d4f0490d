"""Pages of the cases app, one module per area (hits, travel notices and cases re-exported here)."""

from .cases import (
    case_assign,
    case_attachment,
    case_attachment_add,
    case_bulk_assign,
    case_checklist,
    case_detail,
    case_list,
    case_note_add,
    case_transition,
)
from .hits import *  # noqa: F403
from .travel import (
    travelnotice_amend,
    travelnotice_cancel,
    travelnotice_create,
    travelnotice_detail,
    travelnotice_list,
    travelnotice_return,
    travelnotice_submit,
    travelnotice_update,
)

__all__ = [
    "case_assign",
    "case_attachment",
    "case_attachment_add",
    "case_bulk_assign",
    "case_checklist",
    "case_detail",
    "case_list",
    "case_note_add",
    "case_transition",
    "travelnotice_amend",
    "travelnotice_cancel",
    "travelnotice_create",
    "travelnotice_detail",
    "travelnotice_list",
    "travelnotice_return",
    "travelnotice_submit",
    "travelnotice_update",
]
