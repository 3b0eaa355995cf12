from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from wangge.accounts.choices import Door
from wangge.accounts.services import Throttled, sign_in

PASSWORD_MAX = 4096


class LoginForm(AuthenticationForm):
    """Django's sign-in form, checked through the throttled ``sign_in`` service."""

    door = Door.PAGE
    staff_only = False
    error_messages = {
        "invalid_login": _("Wrong user name or password."),
        "inactive": _("This account is disabled."),
        "throttled": _("Too many failed attempts. Try again in %(minutes)s minutes."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A password has a limit too (as the API's token takes it): hashing megabytes of one
        # would keep the server busy for nothing.
        password = self.fields["password"]
        password.max_length = PASSWORD_MAX
        password.validators.append(MaxLengthValidator(PASSWORD_MAX))

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:
            return self.cleaned_data
        try:
            self.user_cache = sign_in(
                self.request,
                username=username,
                password=password,
                door=self.door,
                staff_only=self.staff_only,
            )
        except Throttled as exc:
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": max(1, (exc.retry_after + 59) // 60)},
            ) from exc
        if self.user_cache is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminLoginForm(LoginForm):
    """The admin's sign-in (``/admin/login/``): the same throttled, recorded sign-in as the
    pages and the API's token, for accounts that may use the admin."""

    door = Door.ADMIN
    staff_only = True
    required_css_class = "required"
    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": _(
            "Wrong user name or password, or this account may not use the administration."
        ),
    }
