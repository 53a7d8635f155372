from django.conf import settings
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.views.generic import DetailView, ListView, RedirectView, TemplateView

from common.metadata import page_meta
from common.page_cache import add_keys, has_session, public_page
from common.pagination import CountlessPaginator

from . import surrogate_keys as keys
from .forms import SearchForm
from .models import FIRST_YEAR, LAST_YEAR, Category, NewsItem, OldAddress
from .search import MAX_RESULTS, planned_for_its_words, search, with_snippets

LATEST_COUNT = 10
NEWS_TRAIL = [("Home", reverse_lazy("home")), ("News and updates", reverse_lazy("news:index"))]
CATEGORIES_TRAIL = [*NEWS_TRAIL, ("Categories", reverse_lazy("news:categories"))]


def categories_with_counts():
    """Every category, in display order, with its number of published items."""
    published = Q(items__status=NewsItem.Status.PUBLISHED, items__published_at__lte=timezone.now())
    return Category.objects.annotate(count=Count("items", filter=published))


def years_with_counts():
    """[(year, number of published items), …], newest year first."""
    return list(
        NewsItem.objects.published()
        .values_list("archive_year")
        .annotate(count=Count("pk"))
        .order_by("-archive_year")
    )


@method_decorator(public_page(keys=[keys.LATEST]), name="dispatch")
class HomeView(TemplateView):
    template_name = "news/home.html"

    def get_context_data(self, **kwargs):
        latest = NewsItem.objects.published().listing()[:LATEST_COUNT]
        return super().get_context_data(latest_items=latest, **kwargs)


@method_decorator(public_page(keys=[keys.LATEST, keys.COUNTS]), name="dispatch")
class NewsIndexView(TemplateView):
    template_name = "news/index.html"

    def get_context_data(self, **kwargs):
        latest = NewsItem.objects.published().listing()[:LATEST_COUNT]
        return super().get_context_data(latest_items=latest, years=years_with_counts(), **kwargs)


@method_decorator(public_page(query_params=["page"]), name="dispatch")
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
        year = self.kwargs["year"]
        add_keys(self.request, keys.year(year), *keys.listed(context["items"]))
        meta = page_meta(
            f"News and updates {year}",
            f"News and updates from {settings.SITE_NAME} in {year}.",
            breadcrumbs=[*NEWS_TRAIL, (str(year), reverse("news:year", args=[year]))],
        )
        return {**context, "year": year, "meta": meta}


@method_decorator(public_page(query_params=["page"]), name="dispatch")
class CategoryView(ListView):
    template_name = "news/category.html"
    context_object_name = "items"
    paginate_by = 20
    paginator_class = CountlessPaginator

    def get_queryset(self):
        self.category = get_object_or_404(Category, slug=self.kwargs["slug"])
        return NewsItem.objects.published().filter(category=self.category).listing()

    def get_context_data(self, **kwargs):
        category = self.category
        context = super().get_context_data(**kwargs)
        add_keys(
            self.request, keys.category(category.pk), keys.category_items(category.pk),
            *keys.listed(context["items"]),
        )
        meta = page_meta(
            f"{category.name}: news and updates",
            category.description or f"{category.name} news from {settings.SITE_NAME}.",
            breadcrumbs=[*CATEGORIES_TRAIL, (category.name, category.get_absolute_url())],
        )
        return {**context, "category": category, "meta": meta}


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
    """One item. Staff who may view items also see drafts and scheduled items (previews)."""

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
            add_keys(request, keys.item(old.item_id))
            return redirect(old.item, permanent=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        add_keys(self.request, keys.item(item.pk), keys.category(item.category_id))
        context["is_preview"] = not item.is_public
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
            context["results_capped"] = context["paginator"].count >= MAX_RESULTS
            # The search, for the pagination's links.
            context["query_string"] = self.request.GET.copy()
            context["query_string"].pop("page", None)
            context["query_string"] = context["query_string"].urlencode()
        return context


class LegacyRedirectView(RedirectView):
    """The real site's older addresses, sent permanently to the canonical one."""

    permanent = True
    query_string = False
