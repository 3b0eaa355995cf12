from django.contrib.auth.backends import ModelBackend

from wangge.core.scope import get_scope


class RoleBackend(ModelBackend):
    """Django permissions (used by the admin) follow the roles held through memberships.

    A role grants a permission somewhere in the territory; *where* is decided by
    ``restrict`` on every query, so the admin shows only what lies in scope.
    """

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active:
            return False
        return get_scope(user_obj).has_perm(perm) or super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active:
            return False
        scope = get_scope(user_obj)
        if scope.unrestricted:
            return True
        from wangge.accounts.permissions import ROLE_PERMISSIONS

        for grant in scope.grants:
            for perm in ROLE_PERMISSIONS.get(grant.role, ()):
                if perm == "*" or perm.startswith(f"{app_label}."):
                    return True
        return super().has_module_perms(user_obj, app_label)
