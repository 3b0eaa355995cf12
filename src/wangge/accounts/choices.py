from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles people hold on a territory node (DOMAIN.md, "People and roles")."""

    DISTRICT_ADMIN = "district_admin", _("District administrator")
    STREET_STAFF = "street_staff", _("Street staff")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_WORKER = "grid_worker", _("Grid worker")
    BUILDING_HEAD = "building_head", _("Building head")
    PARTY_MEMBER = "party_member", _("Party member (registered in the community)")
    POLICE = "police", _("Community police officer")
    PROPERTY = "property", _("Property management")
    VOLUNTEER = "volunteer", _("Volunteer")


class Door(models.TextChoices):
    """Where a sign-in came in: every door goes through the same throttled ``sign_in``."""

    PAGE = "page", _("Sign-in page")
    API = "api", _("API token")
    ADMIN = "admin", _("Administration")
