"""Open311 GeoReport v2, included under ``/open311/v2/``; every resource ends in ``.xml`` or
``.json`` (anything else under the prefix is the spec's 404)."""

from django.urls import re_path

from wangge.cases import open311

app_name = "open311"

_FMT = r"\.(?P<fmt>[^./]+)$"

urlpatterns = [
    re_path(r"^discovery" + _FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + _FMT, open311.services_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+?)" + _FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + _FMT, open311.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+?)" + _FMT, open311.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+?)" + _FMT, open311.token, name="token"),
    re_path(r"^(?P<path>.*)$", open311.not_found, name="not-found"),
]
