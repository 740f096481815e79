from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('syncapp', '0003_force_sync_permission'),
    ]

    operations = [
        migrations.CreateModel(
            name='FreshnessSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('taken_at', models.DateTimeField(unique=True, verbose_name='taken')),
                ('counts', models.JSONField(default=dict, help_text='{"directory": {"fresh": 3, "stale": 1, ...}, ...}', verbose_name='counts')),
            ],
            options={
                'ordering': ['-taken_at'],
                'get_latest_by': 'taken_at',
            },
        ),
    ]
