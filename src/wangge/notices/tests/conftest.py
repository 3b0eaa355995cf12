import pytest
from django.utils import timezone

from wangge.notices.tests.fakes import Clock, FakeServer


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "processes: starts real worker processes on a database of their own (in make test)",
    )


@pytest.fixture
def fake_wecom(settings):
    """A fake WeCom webhook on loopback, where every robot posts during the test."""
    with FakeServer() as server:
        settings.WANGGE_WECOM_WEBHOOK_URL = server.url
        yield server


@pytest.fixture
def fake_gateway(settings):
    """A fake SMS gateway on loopback, the HTTP provider configured to use it."""
    with FakeServer(default="sms_ok") as server:
        settings.WANGGE_SMS_PROVIDER = "http"
        settings.WANGGE_SMS_URL = server.url
        settings.WANGGE_SMS_TOKEN = "gateway-token"
        yield server


@pytest.fixture
def clock():
    return Clock(timezone.now())


@pytest.fixture(autouse=True)
def _quiet_outbox(request, settings, tmp_path):
    """Each test sends only what it queued itself; nothing reaches a real address. (Tests
    that start processes use a database of their own, not the test's.)"""
    if request.node.get_closest_marker("processes"):
        return
    request.getfixturevalue("db")
    from wangge.notices.choices import DeliveryState
    from wangge.notices.models import Delivery

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WANGGE_WECOM_WEBHOOK_URL = "http://127.0.0.1:9/unreachable"
    settings.WANGGE_SITE_URL = "https://wangge.example.cn"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.exclude(
        state__in=[DeliveryState.SENT, DeliveryState.LOGGED, DeliveryState.DEAD]
    ).update(state=DeliveryState.DEAD)


@pytest.fixture
def wecom(fake_wecom):
    """The fake WeCom webhook, by its shorter name."""
    return fake_wecom


@pytest.fixture
def gateway(fake_gateway):
    """The fake SMS gateway, by its shorter name."""
    return fake_gateway
