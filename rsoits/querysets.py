"""The single permission chokepoint: ``Model.objects.visible_to(user, action)``.

Each model's queryset says, as a SQL condition, which rows a principal may see ("view") or
change ("change", "delete") by agency and role. Models that can be shared object by object
(a case shared with USNCB or another SORA) add the rows granted through django-guardian to
an agency's group or to the user. Every view, API endpoint, search, export and count reads
through here; a row outside it answers 404.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import Q

from .principal import Principal, principal_for

ALL = Q()
NOTHING = Q(pk__in=[])


class RestrictedQuerySet(models.QuerySet):
    """Base queryset of every RSOITS model that holds agency-owned data."""

    # Set True on querysets of models that may be shared per object through django-guardian.
    guardian_shared: ClassVar[bool] = False

    def scope(self, principal: Principal, action: str) -> Q:  # pragma: no cover - abstract
        """Rows ``principal`` may ``action``, as a Q; ``ALL`` for every row, ``NOTHING`` for none."""
        raise NotImplementedError(f"{self.model.__name__} must define its visibility scope")

    def visible_to(self, user: Any, action: str = "view") -> RestrictedQuerySet:
        principal = principal_for(user)
        if not principal.is_authenticated:
            return self.none()
        condition = self.scope(principal, action)
        if condition == ALL:  # (an empty Q would swallow an OR, so it is handled first)
            return self.all()
        if self.guardian_shared:
            shared = Q(pk__in=self._guardian_granted(user, action))
            condition = shared if condition == NOTHING else condition | shared
        elif condition == NOTHING:
            return self.none()
        return self.filter(condition)

    def _guardian_granted(self, user: Any, action: str) -> models.QuerySet:
        from guardian.shortcuts import get_objects_for_user

        perm = f"{self.model._meta.app_label}.{action}_{self.model._meta.model_name}"
        return get_objects_for_user(
            user, perm, klass=self.model._default_manager.all(), accept_global_perms=False, with_superuser=False
        ).values("pk")


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    pass
