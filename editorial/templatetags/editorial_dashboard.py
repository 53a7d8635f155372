from django import template

from ..dashboard import dashboard

register = template.Library()


@register.inclusion_tag("editorial/dashboard.html", takes_context=True)
def editorial_dashboard(context):
    return {"sections": dashboard(context["request"].user)}
