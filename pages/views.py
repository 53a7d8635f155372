from django.utils.decorators import method_decorator
from django.views.generic import DetailView

from common.metadata import page_meta
from common.page_cache import add_keys, public_page

from .models import StandingPage


def page_key(pk):
    """The surrogate key of a standing page (common.page_cache)."""
    return f"pages-page-{pk}"


@method_decorator(public_page, name="dispatch")
class StandingPageView(DetailView):
    template_name = "pages/page.html"
    context_object_name = "page"
    queryset = StandingPage.objects.published()

    def get_context_data(self, **kwargs):
        page = self.object
        add_keys(self.request, page_key(page.pk))
        meta = page_meta(
            page.title,
            page.summary,
            breadcrumbs=[("Home", "/"), (page.title, page.get_absolute_url())],
        )
        return super().get_context_data(meta=meta, **kwargs)
