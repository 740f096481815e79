"""Nonsense in the sync-config admin (form and list editing): a clear message, and no row saved."""

import pytest
from django.urls import reverse

from syncapp.models import ObjectSyncConfig

from ..staff.conftest import VIEW_PERMISSIONS, make_staff

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:syncapp_objectsyncconfig_changelist")
FIELDS = ("enabled", "interval_minutes", "staleness_minutes", "priority", "max_attempts", "retry_base_seconds",
          "retry_max_seconds", "cascade", "trust_changed_date", "activity_based", "activity_factor",
          "max_interval_minutes")


@pytest.fixture
def editor_client(client):
    client.force_login(make_staff("editor", *VIEW_PERMISSIONS, "change_objectsyncconfig"))
    return client


def all_configs() -> list[tuple]:
    return list(ObjectSyncConfig.objects.order_by("object_type").values_list("object_type", *FIELDS))


def form_data(config: ObjectSyncConfig, **changes) -> dict:
    data = {name: getattr(config, name) for name in FIELDS}
    data.update(changes)
    # A checkbox is sent as "on" when ticked and left out when not.
    return {name: ("on" if value is True else value) for name, value in data.items() if value is not False}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"interval_minutes": "fifteen"}, "Enter a duration such as 15 min, 2 h or 1 d"),
        ({"interval_minutes": "1.5"}, "Enter a duration such as 15 min, 2 h or 1 d"),
        ({"interval_minutes": "0.5 min"}, "Enter a duration such as 15 min, 2 h or 1 d"),
        ({"interval_minutes": "3 weeks"}, "Enter a duration such as 15 min, 2 h or 1 d"),
        ({"interval_minutes": ""}, "This field is required."),
        ({"staleness_minutes": "1e3"}, "Enter a duration such as 15 min, 2 h or 1 d"),
        ({"priority": "high"}, "Enter a whole number."),
        ({"interval_minutes": 0}, "The interval must be between 1 minute and 7 days."),
        ({"interval_minutes": -15}, "The interval must be between 1 minute and 7 days."),
        ({"interval_minutes": "-2 h"}, "The interval must be between 1 minute and 7 days."),
        ({"interval_minutes": "8 d"}, "The interval must be between 1 minute and 7 days."),
        ({"interval_minutes": 60, "staleness_minutes": 59}, "The staleness threshold must be at least the interval"),
        ({"interval_minutes": 2**31, "staleness_minutes": 2**31}, "The interval must be between 1 minute and 7 days."),
        ({"staleness_minutes": 10**30}, "The staleness threshold must be at least the interval and at most 30 days."),
        ({"staleness_minutes": -1}, "The staleness threshold must be at least the interval and at most 30 days."),
        ({"priority": -101}, "The priority must be between -100 and 100."),
        ({"priority": 10**12}, "The priority must be between -100 and 100."),
        ({"max_attempts": 0}, "Max attempts must be between 1 and 20."),
        ({"max_attempts": -2}, "Max attempts must be between 1 and 20."),
        ({"max_attempts": 99999}, "Max attempts must be between 1 and 20."),
        ({"retry_base_seconds": -3}, "The retry base delay must be between 1 and 2,147,483,647 seconds."),
        ({"retry_max_seconds": -3}, "The retry cap must be at least the retry base delay"),
        ({"activity_factor": "often"}, "The factor must be a number more than 0 and at most 1."),
        ({"activity_factor": 0}, "The factor must be a number more than 0 and at most 1."),
        ({"activity_factor": "-0.1"}, "The factor must be a number more than 0 and at most 1."),
        ({"activity_factor": "1.5"}, "The factor must be a number more than 0 and at most 1."),
        ({"activity_factor": ""}, "This field is required."),
        ({"max_interval_minutes": "10 min"}, "The maximum interval must be at least the sync interval"),
        ({"max_interval_minutes": "8 d"}, "The maximum interval must be at least the sync interval and at most 7 days."),
        ({"max_interval_minutes": "-1 h"}, "The maximum interval must be at least the sync interval"),
        ({"max_interval_minutes": "soon"}, "Enter a duration such as 15 min, 2 h or 1 d"),
    ],
)
def test_the_form_refuses_nonsense_with_a_message_and_saves_nothing(editor_client, changes, message):
    config = ObjectSyncConfig.objects.get(object_type="phase")
    before = all_configs()
    url = reverse("admin:syncapp_objectsyncconfig_change", args=[config.pk])
    response = editor_client.post(url, form_data(config, **changes))
    assert response.status_code == 200
    assert "Please correct the error" in response.text
    assert message in response.text
    assert all_configs() == before


def changelist_data(client, changes: dict[str, dict]) -> dict:
    """The changelist's own formset, as the browser would post it, with `changes` per type."""
    formset = client.get(CHANGELIST).context["cl"].formset
    data = {f"form-{key}": value for key, value in formset.management_form.initial.items()}
    data["_save"] = "Save"
    for index, form in enumerate(formset.forms):
        config = form.instance
        values = {"id": config.pk, "enabled": config.enabled, "interval_minutes": config.interval_minutes,
                  "staleness_minutes": config.staleness_minutes, "priority": config.priority,
                  **changes.get(config.object_type, {})}
        data.update({f"form-{index}-{name}": ("on" if value is True else value)
                     for name, value in values.items() if value is not False})
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phase": {"interval_minutes": "ten"}}, "Enter a duration such as 15 min, 2 h or 1 d"),
        ({"elevation": {"staleness_minutes": ""}}, "This field is required."),
        ({"project": {"priority": 10**12}}, "The priority must be between -100 and 100."),
        # One good row beside a bad one: neither is saved.
        ({"directory": {"interval_minutes": "1 h 30 min", "staleness_minutes": "3 h"},
          "phase": {"interval_minutes": -1}},
         "The interval must be between 1 minute and 7 days."),
        # Past the phase row's longest interval for quiet phases (1 day): that rule's one message.
        ({"phase": {"interval_minutes": "2 d", "staleness_minutes": "4 d"}},
         "The maximum interval must be at least the sync interval"),
    ],
)
def test_list_editing_refuses_nonsense_and_saves_no_row(editor_client, changes, message):
    before = all_configs()
    response = editor_client.post(CHANGELIST, changelist_data(editor_client, changes))
    assert response.status_code == 200
    assert "Please correct the error" in response.text
    assert message in response.text
    assert all_configs() == before
