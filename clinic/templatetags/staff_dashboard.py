"""``{% staff_dashboard as board %}`` for the admin index (diagnopet/templates/admin/index.html).

It lives in an app because template tag libraries must; the figures come from ``diagnopet.dashboard``, imported
when the tag runs so that the clinic app does not depend on bookings and billing at import time.
"""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_dashboard(context):
    from diagnopet.dashboard import dashboard_figures

    request = context.get("request")
    if request is None or not request.user.is_active or not request.user.is_staff:
        return None
    return dashboard_figures(user=request.user)
