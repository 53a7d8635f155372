from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views.generic import DetailView, ListView, RedirectView, TemplateView

from portal_site.page_cache import public_page

from .forms import SearchForm
from .models import FIRST_YEAR, LAST_YEAR, Category, Document, NewsItem, OldAddress
from .pagination import CountlessPaginator
from .search import planned_for_its_words, search, with_snippets

LATEST_COUNT = 10


def years_with_counts():
    """[(year, number of published items), …], newest year first."""
    return list(
        NewsItem.objects.published()
        .values_list("archive_year")
        .annotate(count=Count("pk"))
        .order_by("-archive_year")
    )


@method_decorator(public_page, name="dispatch")
class HomeView(TemplateView):
    template_name = "news/home.html"

    def get_context_data(self, **kwargs):
        latest = NewsItem.objects.published().listing()[:LATEST_COUNT]
        return super().get_context_data(latest_items=latest, **kwargs)


@method_decorator(public_page, name="dispatch")
class NewsIndexView(TemplateView):
    template_name = "news/index.html"

    def get_context_data(self, **kwargs):
        latest = NewsItem.objects.published().listing()[:LATEST_COUNT]
        return super().get_context_data(latest_items=latest, years=years_with_counts(), **kwargs)


@method_decorator(public_page, name="dispatch")
class YearArchiveView(ListView):
    """“News and updates <year>”: every item of one yearly archive, in the seed page's order."""

    template_name = "news/year_archive.html"
    context_object_name = "items"
    paginate_by = 50  # the 38 items of the seed's 2020 archive fit on one page
    paginator_class = CountlessPaginator

    def get_queryset(self):
        year = self.kwargs["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Http404("There is no news archive for that year.")
        return NewsItem.objects.published().filter(archive_year=year).listing()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not context["items"]:
            raise Http404("There is no news for that year.")
        return {**context, "year": self.kwargs["year"]}


@method_decorator(public_page, name="dispatch")
class CategoryView(ListView):
    template_name = "news/category.html"
    context_object_name = "items"
    paginate_by = 20
    paginator_class = CountlessPaginator

    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return NewsItem.objects.published().filter(category=self.category).listing()

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, **kwargs)


@method_decorator(public_page, name="dispatch")
class NewsItemView(DetailView):
    """One item. Staff who may view items also see drafts and scheduled items (previews)."""

    template_name = "news/item.html"
    context_object_name = "item"

    def can_preview(self):
        return self.request.user.has_perm("news.view_newsitem")

    def get_queryset(self):
        documents = Prefetch("documents", queryset=Document.objects.select_related("series"))
        items = NewsItem.objects.select_related("category").prefetch_related(documents)
        return items if self.can_preview() else items.published()

    def get_object(self, queryset=None):
        queryset = self.get_queryset()
        try:
            return queryset.get(archive_year=self.kwargs["year"], slug=self.kwargs["slug"])
        except NewsItem.DoesNotExist:
            raise Http404("No news item has that address.") from None

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            old = (
                OldAddress.objects.filter(archive_year=kwargs["year"], slug=kwargs["slug"])
                .select_related("item")
                .first()
            )
            if old is None or not (old.item.is_public or self.can_preview()):
                raise
            return redirect(old.item, permanent=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        context["is_preview"] = not item.is_public
        if not context["is_preview"]:
            older, newer = NewsItem.objects.published().neighbours(item)
            context.update(previous_item=older, next_item=newer)
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            # Drafts and scheduled items must not be indexed or kept by any cache.
            response["X-Robots-Tag"] = "noindex, nofollow"
            add_never_cache_headers(response)
            response._page_cache_skip = True
        return response


@method_decorator(public_page, name="dispatch")
class SearchView(ListView):
    template_name = "news/search.html"
    context_object_name = "items"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        self.form = SearchForm(request.GET or None)
        if request.GET and not self.form.is_valid():
            self.object_list = NewsItem.objects.none()
            context = self.get_context_data()
            return self.render_to_response(context, status=400)
        with planned_for_its_words():  # the page's queries run in get_context_data()
            return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if not self.form.is_bound or not self.form.is_valid() or not self.form.cleaned_data["q"]:
            return NewsItem.objects.none()
        data = self.form.cleaned_data
        return search(data["q"], category=data["category"], year=data["year"])

    def get_context_data(self, **kwargs):
        valid = self.form.is_bound and self.form.is_valid()
        query = self.form.cleaned_data["q"] if valid else ""
        context = super().get_context_data(form=self.form, query=query, **kwargs)
        if query:
            context["items"] = with_snippets(context["items"], query)
            # The search, for the pagination's links.
            context["query_string"] = self.request.GET.copy()
            context["query_string"].pop("page", None)
            context["query_string"] = context["query_string"].urlencode()
        return context


class LegacyRedirectView(RedirectView):
    """The real site's older addresses, sent permanently to the canonical one."""

    permanent = True
    query_string = False
