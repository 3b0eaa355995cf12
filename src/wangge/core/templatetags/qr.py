"""The QR code of the posters (a grid's report page, a notice, a found item): one drawing,
inline SVG, for ``{% qr_code url %}`` and the ``core/_qr_row.html`` block."""

import segno
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def qr_code(url: str) -> SafeString:
    """``url`` as a QR code in inline SVG (class ``qr``, its path ``qr-line``), error level M
    so a worn or creased poster still scans."""
    svg = segno.make(url, error="m").svg_inline(
        border=4, omitsize=True, svgclass="qr", lineclass="qr-line"
    )
    # segno writes only path data from the URL's bits (no text of ours): safe to inline.
    return mark_safe(svg)
