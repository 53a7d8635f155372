from django.conf import settings
from django.core.paginator import InvalidPage
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.generic import DetailView, ListView, RedirectView, TemplateView

from common.metadata import page_meta
from common.page_cache import add_keys, cached_fragment, has_session, public_page
from common.pagination import CountlessPaginator

from . import surrogate_keys as keys
from .forms import SearchForm
from .models import (
    FIRST_YEAR,
    LAST_YEAR,
    Category,
    NewsItem,
    published_condition,
    with_addresses,
)
from .search import MAX_RESULTS, custom_query_plans, search, with_snippets

LATEST_COUNT = 10
# The fragment of a list page's template that holds the list and its pagination.
LIST_FRAGMENT = "news-list"
NEWS_TRAIL = [("News and updates", reverse_lazy("news:index"))]
CATEGORIES_TRAIL = [*NEWS_TRAIL, ("Categories", reverse_lazy("news:categories"))]


def categories_with_counts():
    """Every category, in display order, with its number of published items."""
    return Category.objects.annotate(count=Count("items", filter=published_condition("items__")))


def years_with_counts():
    """[(year, number of published items), …], newest year first."""
    return list(
        NewsItem.objects.published()
        .values_list("archive_year")
        .annotate(count=Count("pk"))
        .order_by("-archive_year")
    )


class LatestItemsMixin:
    @cached_property
    def latest_items(self):
        """The newest items, read by the template only when its fragment of
        them is not stored."""
        return with_addresses(NewsItem.objects.published().listing()[:LATEST_COUNT])


@method_decorator(public_page(keys=[keys.LATEST]), name="dispatch")
class HomeView(LatestItemsMixin, TemplateView):
    template_name = "news/home.html"

    def get_context_data(self, **kwargs):
        meta = page_meta(settings.SITE_NAME, home=True)
        return super().get_context_data(meta=meta, **kwargs)


@method_decorator(public_page(keys=[keys.LATEST, keys.COUNTS]), name="dispatch")
class NewsIndexView(LatestItemsMixin, TemplateView):
    template_name = "news/index.html"

    @cached_property
    def years(self):
        """[(year, number of items), …], read only when the page's fragment is not stored."""
        return years_with_counts()


class ItemListView(TemplateView):
    """One page of a list of items. The list and its pagination are the
    fragment LIST_FRAGMENT of the template, which reads `view.listing`: the
    rows are read only when that fragment is not stored. An empty list (if not
    `allow_empty`) or a page past its end answers 404, found out then."""

    paginate_by = None
    allow_empty = True

    def get_queryset(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        self.paginator = CountlessPaginator(self.get_queryset(), self.paginate_by)
        try:  # no query: checked against the paginator's bound
            self.page_number = self.paginator.validate_number(request.GET.get("page") or 1)
        except InvalidPage as error:
            raise Http404(f"Invalid page: {error}") from error
        if cached_fragment(request, LIST_FRAGMENT) is None:
            # Read now, so that a missing page answers 404 before it renders.
            self.page  # noqa: B018
        return super().get(request, *args, **kwargs)

    @cached_property
    def page(self):
        """The page of items (a Page whose object_list went through with_addresses())."""
        try:
            page = self.paginator.page(self.page_number)
        except InvalidPage as error:
            raise Http404(f"Invalid page: {error}") from error
        if not page.object_list and not self.allow_empty:
            raise Http404("There is nothing to list.")
        page.object_list = with_addresses(page.object_list)
        return page

    @property
    def listing(self):
        """The page of items, for the template's list fragment, which shows
        them: their keys are declared for it (and so for the page) here."""
        add_keys(self.request, *keys.listed(self.page.object_list))
        return self.page

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_number=self.page_number, **kwargs)


@method_decorator(public_page(query_params=["page"]), name="dispatch")
class YearArchiveView(ItemListView):
    """“News and updates <year>”: every item of one yearly archive, in the seed page's order."""

    template_name = "news/year_archive.html"
    paginate_by = 50  # the 38 items of the seed's 2020 archive fit on one page
    allow_empty = False

    def get_queryset(self):
        year = self.kwargs["year"]
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Http404("There is no news archive for that year.")
        add_keys(self.request, keys.year(year))
        return NewsItem.objects.published().filter(archive_year=year).listing()

    def get_context_data(self, **kwargs):
        year = self.kwargs["year"]
        meta = page_meta(
            f"News and updates {year}",
            f"News and updates from {settings.SITE_NAME} in {year}.",
            breadcrumbs=[*NEWS_TRAIL, (str(year), reverse("news:year", args=[year]))],
        )
        return super().get_context_data(meta=meta, **kwargs)  # `year` is among the kwargs


@method_decorator(public_page(query_params=["page"]), name="dispatch")
class CategoryView(ItemListView):
    template_name = "news/category.html"
    paginate_by = 20

    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        add_keys(self.request, keys.category(self.category.pk),
                 keys.category_items(self.category.pk))
        return NewsItem.objects.published().filter(category=self.category).listing()

    def get_context_data(self, **kwargs):
        category = self.category
        meta = page_meta(
            f"{category.name}: news and updates",
            category.description or f"{category.name} news from {settings.SITE_NAME}.",
            breadcrumbs=[*CATEGORIES_TRAIL, (category.name, category.url)],
        )
        return super().get_context_data(category=category, meta=meta, **kwargs)


@method_decorator(public_page(keys=[keys.CATEGORIES, keys.COUNTS]), name="dispatch")
class CategoryIndexView(TemplateView):
    """/news/category/: every category with its description and number of items."""

    template_name = "news/category_index.html"

    def get_context_data(self, **kwargs):
        meta = page_meta(
            "Categories",
            f"Browse {settings.SITE_NAME} news by category.",
            breadcrumbs=CATEGORIES_TRAIL,
        )
        return super().get_context_data(categories=categories_with_counts(), meta=meta, **kwargs)


@method_decorator(public_page, name="dispatch")
class NewsItemView(DetailView):
    """One item: online, or withdrawn with its notice. The address of an item
    taken off the site answers 410 Gone, or leads to its replacement. Staff
    who may view items also see drafts and scheduled items (previews)."""

    template_name = "news/item.html"
    context_object_name = "item"

    def can_preview(self):
        if not has_session(self.request):
            return False
        return self.request.user.has_perm("news.view_newsitem")

    def get_queryset(self):
        # Documents are read by the template (item.attachments), only when its
        # fragment cache for the article is empty.
        items = NewsItem.objects.select_related("category").defer("search_vector")
        return items if self.can_preview() else items.online()

    def get_object(self, queryset=None):
        item = self.get_queryset().at_address(self.kwargs["year"], self.kwargs["slug"])
        if item is None:
            raise Http404("No news item has that address.")
        return item

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            return self.gone(request, kwargs["year"], kwargs["slug"])
        if (self.object.archive_year, self.object.slug) != (kwargs["year"], kwargs["slug"]):
            add_keys(request, keys.item(self.object.pk))
            return redirect(self.object, permanent=True)  # a former address
        return self.render_to_response(self.get_context_data(object=self.object))

    def gone(self, request, year, slug):
        """An item taken off the site answers 410 Gone, or leads to its replacement."""
        gone = (
            NewsItem.objects.gone().filter(archive_year=year, slug=slug)
            .select_related("replaced_by").first()
        )
        if gone is None:
            raise Http404("No news item has that address.")
        add_keys(request, keys.item(gone.pk))
        if gone.replaced_by is not None and gone.replaced_by.is_public:
            add_keys(request, keys.item(gone.replaced_by_id))
            return redirect(gone.replaced_by, permanent=True)
        return TemplateResponse(request, "news/gone.html", {"item": gone}, status=410)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        add_keys(self.request, keys.item(item.pk), keys.category(item.category_id))
        context["is_preview"] = not item.is_online
        context["meta"] = page_meta(
            item.title,
            item.summary,
            breadcrumbs=[
                *NEWS_TRAIL,
                (str(item.archive_year), reverse("news:year", args=[item.archive_year])),
                (item.title, item.get_absolute_url()),
            ],
            article=None if context["is_preview"] else item,
        )
        return context

    @cached_property
    def neighbours(self):
        """(older, newer) items, read by the template only when its fragment
        cache for them (per content generation) is empty."""
        if not self.object.is_public:
            return None, None
        return NewsItem.objects.published().neighbours(self.object)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            # Drafts and scheduled items must not be indexed or kept by any cache.
            response["X-Robots-Tag"] = "noindex, nofollow"
            add_never_cache_headers(response)
        elif self.object.is_withdrawn:
            response["X-Robots-Tag"] = "noindex"  # the same page for everyone: cacheable
        return response


# Any query is a page: keep searches out of the application's own cache.
@method_decorator(
    public_page(
        query_params=["q", "page", "category", "year"], store=False,
        keys=[keys.SEARCH, keys.CATEGORIES],
    ),
    name="dispatch",
)
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
        with custom_query_plans():  # the page's queries run in get_context_data()
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
            context["items"] = with_addresses(with_snippets(context["items"], query))
            context["results_capped"] = context["paginator"].count >= MAX_RESULTS
            # The search, for the pagination's links.
            context["query_string"] = self.request.GET.copy()
            context["query_string"].pop("page", None)
            context["query_string"] = context["query_string"].urlencode()
        return context


# The real site's older addresses, sent permanently to the canonical one when
# there is one, and a 404 of their own otherwise (not a redirect to a 404).
@method_decorator(public_page, name="dispatch")
class LegacyYearRedirectView(RedirectView):
    permanent = True

    def get_redirect_url(self, year):
        if not NewsItem.objects.published().filter(archive_year=year).exists():
            raise Http404("There is no news for that year.")
        add_keys(self.request, keys.year(year))
        return reverse("news:year", args=[year])


@method_decorator(public_page, name="dispatch")
class LegacyItemRedirectView(RedirectView):
    permanent = True

    def get_redirect_url(self, year, slug):
        item = NewsItem.objects.published().at_address(year, slug)
        if item is None:
            raise Http404("No news item has that address.")
        add_keys(self.request, keys.item(item.pk))
        return item.get_absolute_url()
