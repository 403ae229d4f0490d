"""The inbox badge in the navigation: the user's unacknowledged notifications."""

from django import template

from ..models import Notification

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_unread(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.inbox_of(user).filter(acknowledged_at__isnull=True).count()
