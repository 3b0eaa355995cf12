"""Errors services raise; the web pages and the API turn them into messages."""

from django.core.exceptions import ValidationError
from django.http import Http404

__all__ = ["Http404", "ValidationError", "not_found"]


def not_found(what: str = "") -> Http404:
    """The one answer for "missing" and "not yours"."""
    return Http404(what or "Not found")
