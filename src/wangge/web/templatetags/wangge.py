from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def as_data(value):
    """A value from the data (a person's or a place's name) inside the interface's words:
    ``<span translate="no">``, so that it is neither translated nor taken for interface."""
    return format_html('<span translate="no">{}</span>', value)


@register.simple_tag
def meter(rate, part, whole):
    """A rate as a bar with its count beside it: a rate over 3 is not one over 300."""
    if rate is None:
        return format_html('<span class="muted">{}</span>', _("none"))
    percent = round(rate * 100)
    return format_html(
        '<span class="meter-cell"><meter min="0" max="100" low="60" high="90" optimum="100"'
        ' value="{}">{}%</meter> <span class="rate">{}%</span>'
        ' <span class="muted count">{}/{}</span></span>',
        percent,
        percent,
        percent,
        part,
        whole,
    )


@register.inclusion_tag("core/_list_tools.html", takes_context=True)
def list_tools(context, page: str, export_kind: str = "", query: str | None = None):
    """Above a list: the user's saved views of it, a form to keep the current filters, and
    the list as a spreadsheet (its filters applied). ``query`` is the list's filters when the
    page has dropped some of the request's (those the user may not use)."""
    from wangge.core import saved

    request = context["request"]
    query = saved.clean_query(request.GET.urlencode() if query is None else query)
    views = [
        {"view": view, "url": saved.url(view), "current": view.query == query}
        for view in saved.views_for(request.user, page)
    ]
    return {
        "request": request,
        "page": page,
        "query": query,
        "views": views,
        "export_kind": export_kind,
        "csrf_token": context.get("csrf_token"),
    }
