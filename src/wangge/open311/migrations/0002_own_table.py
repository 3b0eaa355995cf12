"""The clients' table takes the app's name (a rename: no row is copied). Done once cases has
let go of the model, so the state and the tables agree at every step, either way."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("open311", "0001_initial"),
        ("cases", "0011_lostfound_and_open311_moved_out"),
    ]

    operations = [
        migrations.AlterModelTable(name="open311client", table=None),
    ]
