"""The page for "not found", the same in production and under ``make run`` (``DEBUG``).

A resident who mistypes a tracking code, scans a worn QR code or opens a withdrawn notice
meets a page in their language that says what to do next — never Django's technical page
with the site's URL patterns. The API answers problem+json, as everywhere else.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from wangge.cases.forms import TrackForm
from wangge.core.api import problem

# Public pages by their path; each says what went wrong and what to do about it.
_TRACK = re.compile(r"^/t/")
_GRID = re.compile(r"^/r/")
_NOTICE = re.compile(r"^/n/")
_FOUND = re.compile(r"^/found/[^/]*[^\d/][^/]*/")  # a notice's code, not a staff page's number


def advice(path: str) -> dict:
    """What the page says for ``path``: a heading, what to do, and whether to offer the
    tracking code form."""
    if _TRACK.match(path):
        return {
            "heading": _("No report has this tracking code"),
            "steps": [
                _(
                    "Check the code in the SMS or on the page you got when you reported: 8"
                    " letters and digits, such as K7M2Q9XA."
                ),
                _("Type it again below. Capital or small letters are the same."),
                _("Still not found? Ask your grid worker: they can look the report up."),
            ],
            "track_form": True,
            "public": True,
        }
    if _GRID.match(path):
        return {
            "heading": _("This grid's page was not found"),
            "steps": [
                _("Scan the QR code on the poster in your building again."),
                _("If you typed the address, check the grid code in it (15 digits or more)."),
                _(
                    "The grid may have been renamed or merged: ask your grid worker or the"
                    " community office for the new poster."
                ),
            ],
            "public": True,
        }
    if _NOTICE.match(path):
        return {
            "heading": _("This notice is not shown any more"),
            "steps": [
                _("It may have been withdrawn or have expired, or the link is incomplete."),
                _("Scan the QR code on your grid's poster to read the notices in force."),
                _("Ask your grid worker if you need what it said."),
            ],
            "public": True,
        }
    if _FOUND.match(path):
        return {
            "heading": _("This lost-and-found notice was not found"),
            "steps": [
                _("The item may have been claimed already, or the link is incomplete."),
                _("Scan the QR code on the notice again, or ask the community office."),
            ],
            "public": True,
        }
    return {
        "heading": _("Not found"),
        "steps": [_("This page does not exist, or lies outside the places you work on.")],
    }


def page_not_found(request, exception=None):
    """``handler404``: the friendly page (problem+json under ``/api/``)."""
    if request.path.startswith("/api/"):
        return problem(404, "Not Found", _("Not found, or outside the places you work on"))
    context = advice(request.path)
    if context.get("track_form"):
        context["form"] = TrackForm()
    return render(request, "404.html", context, status=404)


class FriendlyNotFoundMiddleware:
    """Under ``DEBUG`` (what ``make run`` sets) Django answers "not found" with its technical
    page, in English, listing every URL pattern; this gives the friendly page instead. A view
    that raised ``Http404`` is caught here; a path no URL matches is recognized by having no
    ``resolver_match``. In production ``handler404`` gives the same page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return page_not_found(request)
        return response

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
