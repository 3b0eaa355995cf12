from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LongText(forms.Textarea):
    """A text area without the browser's ``maxlength``: a browser cuts a longer paste there
    without a word, so the limit is left to the form, which names it (``max_length`` on the
    field still holds)."""

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.pop("maxlength", None)
        return attrs


class ServiceErrorsMixin:
    def add_service_errors(self, exc) -> None:
        """A service's ``ValidationError`` on the fields it names (the rest above the form)."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc.messages)
            return
        for field, errors in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, errors)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to import"))
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
    dry_run = forms.BooleanField(
        label=_("Check only, import nothing"), required=False, initial=False
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.kind, k.spec.title) for k in kinds]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Only .xlsx and .csv files can be imported."))
        if upload.size > settings.WANGGE_IMPORT_MAX_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload
