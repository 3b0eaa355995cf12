from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


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
