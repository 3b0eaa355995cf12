"""The address login throttling counts, behind reverse proxies or not."""

from django.test import RequestFactory

from wangge.accounts.services import client_ip


def request(remote="10.0.0.5", forwarded=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


def test_without_proxies_the_peer_address_counts_and_headers_are_ignored(settings):
    settings.WANGGE_PROXY_COUNT = 0
    assert client_ip(request(forwarded="1.2.3.4")) == "10.0.0.5"


def test_behind_one_proxy_its_last_hop_counts_and_forged_hops_do_not(settings):
    settings.WANGGE_PROXY_COUNT = 1
    assert client_ip(request(forwarded="203.0.113.9")) == "203.0.113.9"
    # A client that sends its own X-Forwarded-For cannot choose its address.
    assert client_ip(request(forwarded="1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(request(forwarded="")) == "10.0.0.5"
