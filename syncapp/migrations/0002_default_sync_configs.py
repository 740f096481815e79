"""Create the default ObjectSyncConfig rows (DESIGN.md section 3) and the root directory."""

from django.db import migrations


def create_defaults(apps, schema_editor):
    from syncapp.models.config import DEFAULT_CONFIGS

    ObjectSyncConfig = apps.get_model("syncapp", "ObjectSyncConfig")
    for object_type, values in DEFAULT_CONFIGS.items():
        ObjectSyncConfig.objects.get_or_create(object_type=object_type, defaults=values)
    Directory = apps.get_model("syncapp", "Directory")
    Directory.objects.get_or_create(path="", defaults={"name": ""})


class Migration(migrations.Migration):
    dependencies = [("syncapp", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
