import re
from urllib.parse import urlsplit

from django.conf import settings

from wangge.core.context import new_request_id, request_id_var

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give every request an id (kept from ``X-Request-ID`` when sane) for audit and logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_ID.match(incoming) else new_request_id()
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.id
        return response


def content_security_policy(tiles: str = "") -> str:
    """The policy of every page: scripts and styles only from the site's own static files (no
    CDN, no inline script: page data travels in ``json_script``), images also from ``data:``
    and ``blob:`` (the phone's photo preview, Leaflet's icons) and the base map's tile server.
    Inline styles are allowed: Leaflet, ECharts and htmx set ``style`` on the elements they
    draw, and the admin writes some in its templates."""
    images = ["'self'", "data:", "blob:"]
    if tiles:
        parts = urlsplit(tiles)
        if parts.scheme in {"http", "https"} and parts.netloc:
            # {s} is a tile server's subdomain letter (a.tile…, b.tile…): any of them.
            host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
            images.append(f"{parts.scheme}://{host}")
    directives = {
        "default-src": ["'self'"],
        "img-src": images,
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "object-src": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


# The phone pages ask for the position (a report's place) and the camera (a photo); nothing
# asks for the microphone, payments or USB.
PERMISSIONS_POLICY = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """A Content-Security-Policy on every HTML answer and a Permissions-Policy on every answer,
    which Django 5.2 does not send by itself. A view that needs another policy sets its own
    header; this one then leaves it alone."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = content_security_policy(settings.WANGGE_MAP_TILES)

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", self.policy)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
