"""The inbox badge in the navigation: the user's unacknowledged notifications."""

from django import template

from ..badge import inbox_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_unread(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return inbox_unread_count(user)
