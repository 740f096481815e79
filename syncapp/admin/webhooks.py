"""Webhook endpoints and their deliveries in the admin: the secret shown once, rotation, resume, every attempt visible.

Every create, change, rotation, resume and delete of an endpoint goes to the audit trail
(``syncapp.audit``); the secret never does.
"""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from .. import audit
from ..models import WebhookDelivery, WebhookEndpoint
from ..models.webhooks import WebhookEvent
from ..webhooks.endpoints import (WebhookEndpointError, check_endpoint, create_endpoint, delete_endpoint,
                                  resume_endpoint, rotate_secret, update_endpoint)
from .audit import AuditHistory

SECRET_TEMPLATE = "admin/syncapp/webhookendpoint/secret_once.html"


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=2000, assume_scheme="https",
                         help_text=WebhookEndpoint._meta.get_field("url").help_text)
    events = forms.TypedMultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple,
                                            label="Events")

    class Meta:
        model = WebhookEndpoint
        fields = ("client", "url", "events", "directory", "active")

    def clean(self):
        data = super().clean()
        client = data.get("client") or getattr(self.instance, "client", None)
        if data.get("url") and data.get("events"):
            try:
                data["events"] = check_endpoint(client, data["url"], data["events"])
            except WebhookEndpointError as error:
                raise forms.ValidationError(str(error)) from None
        return data


AUDITED_FIELDS = ("url", "events", "directory_id", "active")


def _audited(endpoint) -> dict:
    return {name: getattr(endpoint, name) for name in AUDITED_FIELDS}


def _secret_page(admin_view, request, issued, title: str):
    context = {**admin_view.admin_site.each_context(request), "endpoint": issued.endpoint, "secret": issued.secret,
               "opts": admin_view.opts, "title": title}
    response = TemplateResponse(request, SECRET_TEMPLATE, context)
    response["Cache-Control"] = "no-store"
    return response


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(AuditHistory, admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ("url", "client", "event_list", "directory", "active", "state", "consecutive_failures",
                    "created_at")
    list_filter = ("active",)
    search_fields = ("url", "client__name")
    list_select_related = ("client", "directory")
    autocomplete_fields = ()
    raw_id_fields = ("directory",)
    actions = ["rotate_selected", "resume_selected"]
    readonly_fields = ("paused_at", "pause_reason", "consecutive_failures", "previous_secret_until", "created_at")

    @admin.display(description="events")
    def event_list(self, obj) -> str:
        return ", ".join(obj.events)

    @admin.display(description="state")
    def state(self, obj) -> str:
        if obj.paused_at:
            return f"paused: {obj.pause_reason}"
        if not obj.active:
            return "inactive"
        return "failing" if obj.consecutive_failures else "delivering"

    def get_fields(self, request, obj=None):
        fields = ("client", "url", "events", "directory")
        return fields if obj is None else (*fields, "active", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else ("client", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            before = _audited(WebhookEndpoint.objects.get(pk=obj.pk))
            updated = update_endpoint(obj, url=data["url"], events=data["events"], directory=data.get("directory"),
                                      active=data.get("active", True))
            changes = audit.changed_fields(before, _audited(updated))
            if changes:
                audit.record(request, audit.AuditAction.WEBHOOK_CHANGE, updated, changes=changes)
            return
        issued = create_endpoint(client=data["client"], url=data["url"], events=data["events"],
                                 directory=data.get("directory"))
        audit.record(request, audit.AuditAction.WEBHOOK_CREATE, issued.endpoint,
                     details={"client": issued.endpoint.client.name, **_audited(issued.endpoint)})
        obj.pk = issued.endpoint.pk
        request._issued_webhook_secret = issued  # for response_add only: never logged

    def delete_model(self, request, obj):
        audit.record(request, audit.AuditAction.WEBHOOK_DELETE, obj, details=_audited(obj))
        delete_endpoint(obj)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            self.delete_model(request, endpoint)

    def response_add(self, request, obj, post_url_continue=None):
        issued = getattr(request, "_issued_webhook_secret", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        return _secret_page(self, request, issued, f"Signing secret of {obj.url}")

    @admin.action(description="Give the selected endpoint a new signing secret (the old one signs too for a while)",
                  permissions=["change"])
    def rotate_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one endpoint to rotate.", messages.ERROR)
            return None
        issued = rotate_secret(queryset.get())
        audit.record(request, audit.AuditAction.WEBHOOK_CHANGE, issued.endpoint,
                     details={"secret": "rotated", "previous_secret_until": issued.endpoint.previous_secret_until.isoformat()})
        return _secret_page(self, request, issued, f"New signing secret of {issued.endpoint.url}")

    @admin.action(description="Resume the selected paused endpoints", permissions=["change"])
    def resume_selected(self, request, queryset):
        resumed = 0
        for endpoint in queryset:
            if resume_endpoint(endpoint):
                audit.record(request, audit.AuditAction.WEBHOOK_CHANGE, endpoint,
                             changes={"paused": [endpoint.pause_reason, None]})
                resumed += 1
        self.message_user(request, f"Resumed {resumed} endpoint(s).", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("message_id", "endpoint", "event", "object_key", "status", "attempts", "last_status_code",
                    "last_attempt_at", "next_attempt_at", "delivered_at")
    list_filter = ("status", "event")
    search_fields = ("message_id", "object_key", "endpoint__url")
    list_select_related = ("endpoint",)
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
