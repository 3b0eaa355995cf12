"""The posters' QR code is drawn in one place (``{% qr_code %}``, ``core/_qr_row.html``)."""

from pathlib import Path

import pytest
from django.template import Context, Template

import wangge


def test_only_the_tag_draws_qr_codes():
    root = Path(wangge.__file__).parent
    drawing = {
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if "tests" not in path.parts and "import segno" in path.read_text(encoding="utf-8")
    }
    assert drawing == {"core/templatetags/qr.py"}


def test_the_row_shows_the_code_its_caption_and_its_address():
    url = "https://wangge.example/n/42/"
    html = Template('{% include "core/_qr_row.html" with url=url caption="扫码查看" %}').render(
        Context({"url": url})
    )
    assert html.startswith('<div class="qr-row">') and html.count('class="qr"') == 1
    assert "扫码查看<br>" in html and f'<span class="url">{url}</span>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("poster", ["/r/{grid}/poster/", "/notices/{notice}/poster/"])
def test_each_poster_has_one_qr_code_of_its_page(as_user, poster):
    from wangge.demo.district import LVDU_GRID1
    from wangge.notices.models import Notice

    notice = Notice.objects.order_by("pk").first()
    page = as_user("district").get(poster.format(grid=LVDU_GRID1, notice=notice.pk))
    html = page.content.decode()
    assert page.status_code == 200 and html.count('class="qr"') == 1
