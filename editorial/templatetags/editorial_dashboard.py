from django import template
from django.template.loader import render_to_string

from ..registry import dashboard_panels

register = template.Library()


@register.inclusion_tag("editorial/dashboard.html", takes_context=True)
def editorial_dashboard(context):
    request = context["request"]
    return {"panels": dashboard_panels(request), "request": request}


@register.simple_tag(takes_context=True)
def render_panel(context, panel):
    """A panel's own template with its context."""
    return render_to_string(panel.template_name, panel.context, request=context.get("request"))
