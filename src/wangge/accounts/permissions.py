"""What each role may do, inside the nodes where it is held.

Permissions are named ``<app>.<action>_<model>``, as Django names them, plus the actions
``reveal`` (see an ID or phone number unmasked, with a purpose) and ``view_care`` (see care
tags: disability, living alone, assistance). A trailing ``*`` matches any model.
"""

from functools import lru_cache

from wangge.accounts.choices import Role

_TERRITORY_READ = {"territory.view_*"}
_PEOPLE_READ = {"people.view_*"}
_PEOPLE_WRITE = {"people.add_*", "people.change_*", "people.import_*"}
_CARE = {"people.view_care_person", "people.view_care_persontag"}
_REVEAL = {"people.reveal_person"}
_VISITS = {"people.view_visit", "people.add_visit"}

# The closed loop. Offices and grid leaders run it; grid workers report, handle what they
# are given, and escalate (吹哨); helpers report what they see.
_CASES_ALL = {"cases.*"}
_CASES_WORKER = {
    "cases.view_*",
    "cases.add_case",
    "cases.import_case",  # 12345 work orders for their grids
    "cases.handle_case",
    "cases.escalate_case",
    "cases.add_photo",
}
_CASES_HELPER = {"cases.view_case", "cases.add_case", "cases.add_photo"}
# Open311's clients, kept by the offices as the closed loop's standards are.
_OPEN311_ALL = {"open311.*"}

# Lost and found: offices and grid leaders keep it all; grid workers record items, take
# claims, check them and hand items over.
_LOSTFOUND_ALL = {"lostfound.*"}
_LOSTFOUND_WORKER = {
    "lostfound.view_*",
    "lostfound.add_founditem",
    "lostfound.change_founditem",  # a photo added, where it is kept
    "lostfound.add_claim",
    "lostfound.change_claim",
}

# Notices. Offices and grid leaders write, publish and approve them (approval counts at the
# notice's level: a community cannot approve a street's), and set up the groups' robots;
# grid workers write and publish notices to their own grids.
_NOTICES_ALL = {"notices.*"}
_NOTICES_WORKER = {
    "notices.view_*",
    "notices.add_notice",
    "notices.change_notice",
    "notices.publish_notice",
    "notices.add_follow",
}

# Field work. Offices and grid leaders keep it all (a place's own visit rules among it); grid
# workers see whom they are to visit.
_FIELDWORK_ALL = {"fieldwork.*"}
_FIELDWORK_WORKER = {"fieldwork.view_visitplan", "fieldwork.view_visitrule"}
# Inspection campaigns (排查): grid workers see the campaigns over their grids and record
# checks in them (offices and grid leaders make, open and close them, and set the teams).
_FIELDWORK_WORKER |= {
    "fieldwork.view_campaign",
    "fieldwork.view_campaignteam",
    "fieldwork.view_check",
    "fieldwork.add_check",
    "fieldwork.view_checkphoto",
}
# Errands (帮办代办) and the grid team: grid workers raise and give out their grids' errands
# and see their team; helpers see and record only the errands given to them (the errands'
# ``restrict`` adds that filter for helper roles: ``fieldwork.team.restrict_errands``).
_FIELDWORK_WORKER |= {
    "fieldwork.view_carerequest",
    "fieldwork.add_carerequest",
    "fieldwork.change_carerequest",
    "fieldwork.assign_carerequest",
    "fieldwork.cancel_carerequest",
    "fieldwork.view_teamduty",
    "fieldwork.view_teamcontact",
}
_ERRANDS_HELPER = {"fieldwork.view_carerequest", "fieldwork.change_carerequest"}
# Disputes (人民调解): grid workers take disputes in and see them in their grids, record
# mediation sessions and follow-up visits; outcomes, agreements and their printing (the
# parties' details in full) are the offices' and grid leaders'.
_FIELDWORK_WORKER |= {
    "fieldwork.view_dispute",
    "fieldwork.add_dispute",
    "fieldwork.view_disputeparty",
    "fieldwork.add_disputeparty",
    "fieldwork.view_mediationsession",
    "fieldwork.add_mediationsession",
    "fieldwork.view_agreement",
    "fieldwork.view_followup",
    "fieldwork.add_followup",
}
# Patrols (巡查): grid workers start and walk them in their grids (checkpoints are kept by the
# offices and grid leaders); party members walk them as members of a patrol, and see only the
# patrols they walk (``Patrol.objects.restrict`` shows a patrol to its leader and members).
_PATROLS_WORKER = {
    "fieldwork.view_patrol",
    "fieldwork.add_patrol",
    "fieldwork.change_patrol",
    "fieldwork.view_tracepoint",
    "fieldwork.view_patrolfinding",
    "fieldwork.view_checkpoint",
    "fieldwork.view_checkpointscan",
}

# Street and community offices keep the register and the map of their area.
_OFFICE = frozenset(
    _TERRITORY_READ
    | {"territory.change_*", "territory.add_*", "territory.import_*"}
    | _PEOPLE_READ
    | _PEOPLE_WRITE
    | _CARE
    | _REVEAL
    | {"core.view_auditevent", "accounts.view_membership"}
    | _CASES_ALL
    | _OPEN311_ALL
    | _LOSTFOUND_ALL
    | _NOTICES_ALL
    | _FIELDWORK_ALL
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.DISTRICT_ADMIN: frozenset({"*"}),
    Role.STREET_STAFF: _OFFICE,
    Role.COMMUNITY_STAFF: _OFFICE,
    Role.GRID_LEADER: frozenset(
        _TERRITORY_READ
        | {"territory.change_building", "territory.change_dwelling"}
        | _PEOPLE_READ
        | _PEOPLE_WRITE
        | _CARE
        | _REVEAL
        | {"accounts.view_membership"}
        | _CASES_ALL
        | _OPEN311_ALL
        | _LOSTFOUND_ALL
        | _NOTICES_ALL
        | _FIELDWORK_ALL
    ),
    Role.GRID_WORKER: frozenset(
        _TERRITORY_READ
        | _PEOPLE_READ
        | _PEOPLE_WRITE
        | _CARE
        | _REVEAL
        | _VISITS
        | _CASES_WORKER
        | _LOSTFOUND_WORKER
        | _NOTICES_WORKER
        | _FIELDWORK_WORKER
        | _PATROLS_WORKER
    ),
    # Helpers see the households of their building, masked, without care tags.
    Role.BUILDING_HEAD: frozenset(
        _TERRITORY_READ
        | {"people.view_household", "people.view_person"}
        | _CASES_HELPER
        | _ERRANDS_HELPER
    ),
    Role.POLICE: frozenset(
        _TERRITORY_READ
        | {"people.view_household", "people.view_person"}
        | _REVEAL
        | _CASES_HELPER
        | {"cases.handle_case"}
        | _ERRANDS_HELPER
    ),
    Role.PROPERTY: frozenset(
        _TERRITORY_READ | _CASES_HELPER | {"cases.handle_case"} | _ERRANDS_HELPER
    ),
    Role.PARTY_MEMBER: frozenset(
        {"territory.view_node", "cases.add_case", "cases.add_photo"} | _ERRANDS_HELPER
    ),
    Role.VOLUNTEER: frozenset({"territory.view_node"} | _ERRANDS_HELPER),
}


@lru_cache(maxsize=4096)
def role_allows(role: str, perm: str) -> bool:
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    if "*" in granted or perm in granted:
        return True
    app, _, codename = perm.partition(".")
    if f"{app}.*" in granted:
        return True
    action = codename.rsplit("_", 1)[0]
    return f"{app}.{action}_*" in granted
