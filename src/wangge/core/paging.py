"""Pages of long lists whose count is capped: a list of a million cases shows its first page
without counting every row in the user's reach first.

Up to ``cap`` rows the count is exact. Beyond, ``count`` stops at ``cap + 1`` and ``capped``
is true, so the page says "more than 10,000" rather than a number it did not count. Asking
for a page whose rows reach the cap counts them all, so the last page and the link to the
next one are always true.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP if cap is None else cap
        self.capped = False
        self._wanted = 1

    def get_page(self, number):
        self._wanted = _page_number(number)
        return super().get_page(number)

    def page(self, number):
        self._wanted = max(self._wanted, _page_number(number))
        return super().page(number)

    @cached_property
    def count(self) -> int:
        if self._wanted * self.per_page >= self.cap or not hasattr(self.object_list, "order_by"):
            return super().count
        # No ordering and no columns: the database stops at the first ``cap + 1`` rows.
        counted = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        self.capped = counted > self.cap
        return counted

    @property
    def pages_counted(self) -> int:
        """The pages the capped count vouches for ("page 5 of more than 200")."""
        return self.cap // self.per_page if self.capped else self.num_pages


def _page_number(number) -> int:
    try:
        return max(1, int(number))
    except (TypeError, ValueError):
        return 1
