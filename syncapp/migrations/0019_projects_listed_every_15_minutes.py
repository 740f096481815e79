from django.db import migrations


def projects_every_15_minutes(apps, schema_editor):
    """The project row still at its first default (30 / 60 min) takes the new one (15 / 30); a row
    staff changed keeps their values (syncapp/models/config.py says why 15)."""
    ObjectSyncConfig = apps.get_model("syncapp", "ObjectSyncConfig")
    ObjectSyncConfig.objects.filter(object_type="project", interval_minutes=30, staleness_minutes=60).update(
        interval_minutes=15, staleness_minutes=30)


def projects_every_30_minutes(apps, schema_editor):
    ObjectSyncConfig = apps.get_model("syncapp", "ObjectSyncConfig")
    ObjectSyncConfig.objects.filter(object_type="project", interval_minutes=15, staleness_minutes=30).update(
        interval_minutes=30, staleness_minutes=60)


class Migration(migrations.Migration):

    dependencies = [
        ("syncapp", "0018_syncrun_outcome_known"),
    ]

    operations = [
        migrations.RunPython(projects_every_15_minutes, projects_every_30_minutes),
    ]
