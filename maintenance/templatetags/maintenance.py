from django import template

from common.page_cache import add_keys

from .. import surrogate_keys
from ..selectors import banner_notices
from ..wording import banner_sentence, window

register = template.Library()


@register.inclusion_tag("maintenance/_banner.html", takes_context=True)
def maintenance_banner(context):
    """The site-wide banner: the same for every visitor. Every page carrying it
    says so (surrogate key maintenance-banner): saves purge it, and page-cache
    timers (settings.PUBLIC_PAGE_CHANGE_TIMERS) end cached pages when it changes."""
    if "request" in context:
        add_keys(context["request"], surrogate_keys.BANNER)
    return {
        "notices": [(notice, banner_sentence(notice)) for notice in banner_notices()],
    }


@register.simple_tag
def notice_window(notice):
    """“from 9pm on Saturday 24 October 2020 to 7:30am on Sunday 25 October 2020”."""
    return window(notice.starts_at, notice.ends_at, with_year=True)
