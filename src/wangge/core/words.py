"""Words the system writes into its records rather than shows at once."""

from django.conf import settings
from django.utils import translation


def stored(message: str, **values: object) -> str:
    """``message`` (marked ``gettext_noop`` where it is written, to be extracted) in the site's
    language (``LANGUAGE_CODE``), whoever's request writes it: a note in a case's timeline or a
    notification is read later, by others, in the language of the place."""
    with translation.override(settings.LANGUAGE_CODE):
        text = translation.gettext(message)
    return text % values if values else text
