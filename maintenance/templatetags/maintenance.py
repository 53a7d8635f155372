from django import template

from ..selectors import banner_notices
from ..wording import banner_sentence, window

register = template.Library()


@register.inclusion_tag("maintenance/_banner.html")
def maintenance_banner():
    """The site-wide banner: the same for every visitor; page-cache timers
    (settings.PUBLIC_PAGE_CHANGE_TIMERS) make cached pages end when it changes."""
    return {
        "notices": [(notice, banner_sentence(notice)) for notice in banner_notices()],
    }


@register.simple_tag
def notice_window(notice):
    """“from 9pm on Saturday 24 October 2020 to 7:30am on Sunday 25 October 2020”."""
    return window(notice.starts_at, notice.ends_at, with_year=True)
