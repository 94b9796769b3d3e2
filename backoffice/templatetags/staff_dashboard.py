"""``{% staff_dashboard as board %}`` for the admin index (backoffice/templates/admin/index.html)."""

from django import template

from backoffice.dashboard import dashboard_figures

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_dashboard(context):
    request = context.get("request")
    if request is None or not request.user.is_active or not request.user.is_staff:
        return None
    return dashboard_figures(user=request.user, charts=True)
