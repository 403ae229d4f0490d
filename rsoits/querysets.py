"""The single permission chokepoint: ``Model.objects.visible_to(user, action)``.

Each model's queryset says, as a SQL condition, which rows a principal may see ("view") or
change ("change", "delete") by agency and role. Models that can be shared object by object
(a case shared with USNCB or another SORA) add the rows granted through django-guardian to
an agency's group or to the user (for a user who holds a grant on that model at all: the
principal knows which). Every view, API endpoint, search, export and count reads
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
        if self.guardian_shared and self._content_type_id() in principal.granted_content_type_ids:
            granted = self._guardian_granted(user, action)
            shared = Q(pk__in=granted[0]) | Q(pk__in=granted[1])
            condition = shared if condition == NOTHING else condition | shared
        elif condition == NOTHING:
            return self.none()
        return self.filter(condition)

    def _content_type_id(self) -> int:
        from django.contrib.contenttypes.models import ContentType

        return ContentType.objects.get_for_model(self.model).pk  # (cached per process)

    def _guardian_granted(self, user: Any, action: str) -> tuple[models.QuerySet, models.QuerySet]:
        """The primary keys granted to ``user`` for ``action``, directly and through its groups:
        two small subqueries over django-guardian's permission tables (the object keys cast to
        the model's key type), so that the registry is read through its primary key and never
        scanned whole to compare keys as text."""
        from django.db.models.functions import Cast
        from guardian.models import GroupObjectPermission, UserObjectPermission

        codename = f"{action}_{self.model._meta.model_name}"
        pk = self.model._meta.pk
        key_type = models.BigIntegerField() if pk.get_internal_type().endswith("AutoField") else pk.__class__()
        key = Cast("object_pk", output_field=key_type)
        common = {"content_type_id": self._content_type_id(), "permission__codename": codename}
        direct = UserObjectPermission.objects.filter(user_id=user.pk, **common)
        via_groups = GroupObjectPermission.objects.filter(group__user=user.pk, **common)
        return (
            direct.annotate(granted_pk=key).values("granted_pk"),
            via_groups.annotate(granted_pk=key).values("granted_pk"),
        )


class RestrictedManager(models.Manager.from_queryset(RestrictedQuerySet)):  # type: ignore[misc]
    pass
