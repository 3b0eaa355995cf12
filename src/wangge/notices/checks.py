"""``wangge check``: the links in messages and notices are absolute.

``WANGGE_SITE_URL`` is put before every link an SMS, a WeCom message, an e-mail, a notice or
a poster carries. A value that is not an ``http(s)://host`` address is an error; in
production (``check --deploy``) an empty one is a warning: links sent by the worker would be
bare paths a resident's phone cannot open.
"""

import urllib.parse

from django.conf import settings
from django.core import checks


def site_url_problem(value: str) -> str:
    """Why ``value`` is not a site address residents can open ("" when it is)."""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "it must start with http:// or https:// and name the host"
    if parts.query or parts.fragment:
        return "it must be the site's address alone, without ? or #"
    return ""


@checks.register()
def check_site_url(app_configs, **kwargs):
    value = settings.WANGGE_SITE_URL
    if value and (problem := site_url_problem(value)):
        return [
            checks.Error(
                f"WANGGE_SITE_URL is {value!r}: {problem}.",
                hint="The address residents open, e.g. https://wangge.example.gov.cn",
                id="notices.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_site_url_set(app_configs, **kwargs):
    if settings.WANGGE_SITE_URL:
        return []
    return [
        checks.Warning(
            "WANGGE_SITE_URL is empty: links in SMS, WeCom messages, e-mails and notices "
            "are bare paths residents cannot open.",
            hint="Set it to the address residents open, e.g. https://wangge.example.gov.cn",
            id="notices.W001",
        )
    ]
