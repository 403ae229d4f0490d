"""Writes of passport actions: a law-enforcement request to State CA/PPT to deny a registrant's
passport or to place a CLASS lookout, its supporting documents, and its status up to State's
answer (white paper VI.1.a; DESIGN.md "Core records")."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from notifications.choices import EventType
from notifications.services import publish_event
from registrants.models import Registrant
from rsoits.audit import audited_service
from rsoits.choices import Role
from rsoits.models import Agency
from rsoits.principal import principal_for

from ..choices_foreign import PassportActionStatus
from ..models import Case, PassportAction, PassportActionDocument
from ..validators import sniff_content_type

P = PassportActionStatus

# State's answer ends the request; a request may be withdrawn until then.
TRANSITIONS: dict[str, set[str]] = {
    P.REQUESTED: {P.SUBMITTED, P.WITHDRAWN},
    P.SUBMITTED: {P.GRANTED, P.DENIED, P.WITHDRAWN},
    P.GRANTED: set(),
    P.DENIED: set(),
    P.WITHDRAWN: set(),
}


def requesting_agencies(actor: Any) -> list[Agency]:
    """The agencies on whose behalf ``actor`` may request: their SORAs and NSOTC."""
    principal = principal_for(actor)
    ids = principal.sora_agency_ids | principal.agencies_with_role(*Role.nsotc_roles())
    return list(Agency.objects.filter(pk__in=ids).order_by("name"))


@transaction.atomic
@audited_service
def passport_action_request(
    *,
    actor: Any,
    registrant: Registrant,
    kind: str,
    requesting_agency: Agency | None = None,
    legal_basis: str = "",
    basis_reference: str = "",
    justification: str = "",
    case: Case | None = None,
    documents: list[Any] | None = None,
) -> PassportAction:
    """Request a passport denial or a CLASS lookout for a registrant the actor may see; publishes
    ``passport_action_requested``."""
    agencies = requesting_agencies(actor)
    if not agencies:
        raise PermissionDenied("Only SORA staff and NSOTC request passport actions.")
    if requesting_agency is None:
        requesting_agency = agencies[0]
    if requesting_agency.pk not in {a.pk for a in agencies}:
        raise ValidationError({"requesting_agency": "You may request only on behalf of your own agency."})
    if not Registrant.objects.visible_to(actor).filter(pk=registrant.pk).exists():
        raise PermissionDenied("You may not request an action for this registrant.")
    if case is not None and (
        case.registrant_id != registrant.pk or not Case.objects.visible_to(actor).filter(pk=case.pk).exists()
    ):
        raise ValidationError({"case": "Choose a case of this registrant that you may see."})
    action = PassportAction(
        registrant=registrant,
        case=case,
        requesting_agency=requesting_agency,
        requested_by=actor,
        requested_at=timezone.now(),
        kind=kind,
        legal_basis=legal_basis or "",
        basis_reference=(basis_reference or "").strip(),
        justification=(justification or "").strip(),
    )
    action.full_clean()
    action.save()
    for index, upload in enumerate(documents or []):
        _add_document(action, upload, actor, field=f"documents[{index}]")
    publish_event(
        event_type=EventType.PASSPORT_ACTION_REQUESTED,
        registrant=registrant,
        actor=actor,
        source=action,
        context={"kind": kind, "legal_basis": action.legal_basis, "requesting_agency": requesting_agency.code},
        dedupe_key=f"passport_action_requested:{action.pk}",
    )
    return action


def _check_change(actor: Any, action: PassportAction) -> None:
    if not PassportAction.objects.visible_to(actor, "change").filter(pk=action.pk).exists():
        raise PermissionDenied("Only the requesting agency changes this request.")


def _add_document(action: PassportAction, upload: Any, actor: Any, *, description: str = "", field: str = "file"):
    size = getattr(upload, "size", None)
    document = PassportActionDocument(
        action=action,
        file=upload,
        original_name=(getattr(upload, "name", "") or "document")[:200],
        content_type=sniff_content_type(upload) if upload else "",
        size=size or 0,
        description=description,
        uploaded_by=actor,
    )
    claimed = getattr(upload, "content_type", "") or ""
    from ..validators import attachment_errors

    errors = attachment_errors(upload, claimed, size)
    if errors:
        raise ValidationError({field: errors})
    document.save()
    return document


@transaction.atomic
@audited_service
def passport_action_add_document(
    *, actor: Any, action: PassportAction, file: Any, description: str = ""
) -> PassportActionDocument:
    """Attach a supporting document (size and type checked)."""
    _check_change(actor, action)
    if action.status not in P.open():
        raise ValidationError({"file": "The request is closed; documents can no longer be added."})
    return _add_document(action, file, actor, description=description.strip())


@transaction.atomic
@audited_service
def passport_action_transition(
    *, actor: Any, action: PassportAction, to_status: str, state_reference: str = "", note: str = ""
) -> PassportAction:
    """Move the request along: submitted to State, State's answer (granted or refused), or
    withdrawn. State's answer needs its text."""
    _check_change(actor, action)
    action = PassportAction.objects.select_for_update().get(pk=action.pk)
    if to_status not in TRANSITIONS.get(action.status, set()):
        current = P(action.status).label.lower()
        target = P(to_status).label.lower() if to_status in P.values else repr(to_status)
        raise ValidationError({"to_status": f"A request that is {current} cannot become {target}."})
    now = timezone.now()
    if to_status == P.SUBMITTED:
        action.submitted_at = now
        if state_reference:
            action.state_reference = state_reference.strip()
    elif to_status in (P.GRANTED, P.DENIED):
        if not (note or "").strip():
            raise ValidationError({"note": "Record State's answer."})
        action.decided_at = now
        action.state_response = note.strip()
        if state_reference:
            action.state_reference = state_reference.strip()
    elif to_status == P.WITHDRAWN:
        if not (note or "").strip():
            raise ValidationError({"note": "Say why the request is withdrawn."})
        action.state_response = note.strip()
    action.status = to_status
    action._change_reason = P(to_status).label
    action.save()
    return action
