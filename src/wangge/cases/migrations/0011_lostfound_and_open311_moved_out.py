"""Lost and found (``FoundItem``, ``Claim``) and Open311's clients (``Open311Client``) are apps
of their own now, which took the models over with their rows (``lostfound`` ``0001``,
``open311`` ``0001``): cases lets go of them in the migration state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_text_limits_and_extension_rule"),
        ("lostfound", "0001_initial"),
        ("open311", "0001_initial"),
        # The notice's link to a found item pointed at this app's model until then.
        ("notices", "0007_notice_settled_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Claim"),
                migrations.DeleteModel(name="FoundItem"),
                migrations.DeleteModel(name="Open311Client"),
            ],
        ),
    ]
