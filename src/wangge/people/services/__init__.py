"""Writing the register of people: households, persons, care tags, visits, reveals.

Keyword-only functions, each in a transaction, checking the actor's scope and writing its
audit event. Imports call the ``bulk_*`` functions, which write the same events in batches.

By concern: ``households`` (``create_household``, ``update_household``), ``persons``
(``create_person``, ``update_person``, ``set_care_tags``), ``visits`` (``record_visit``),
``reveal`` (``reveal`` and ``check_purpose``, which every full number shown asks),
``moving`` (``move_residents``: households follow their building into another grid),
``bulk_writes`` (``bulk_write_persons``, ``bulk_write_households``, ``bulk_write_visits``),
and ``checks`` (identity, tags, notes and the keyed hashes every write shares). The names
below are the services other modules call, as ``services.create_person(...)``.
"""

from wangge.people.services.bulk_writes import (
    PERSON_COLUMNS,
    PERSON_DEFAULTS,
    bulk_write_households,
    bulk_write_persons,
    bulk_write_visits,
)
from wangge.people.services.checks import (
    NOTE_MAX,
    TagSpec,
    check_note,
    check_tags,
    clean_identity,
    id_hash,
    person_snapshot,
    phone_hash,
    tag_label,
)
from wangge.people.services.households import (
    create_household,
    next_household_number,
    update_household,
)
from wangge.people.services.moving import move_residents
from wangge.people.services.persons import (
    PERSON_FIELDS,
    create_person,
    set_care_tags,
    update_person,
)
from wangge.people.services.reveal import REVEALABLE, check_purpose, reveal
from wangge.people.services.visits import check_position, record_visit

__all__ = [
    "NOTE_MAX",
    "PERSON_COLUMNS",
    "PERSON_DEFAULTS",
    "PERSON_FIELDS",
    "REVEALABLE",
    "TagSpec",
    "bulk_write_households",
    "bulk_write_persons",
    "bulk_write_visits",
    "check_note",
    "check_position",
    "check_purpose",
    "check_tags",
    "clean_identity",
    "create_household",
    "create_person",
    "id_hash",
    "move_residents",
    "next_household_number",
    "person_snapshot",
    "phone_hash",
    "record_visit",
    "reveal",
    "set_care_tags",
    "tag_label",
    "update_household",
    "update_person",
]
