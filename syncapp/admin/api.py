"""API clients in the admin: created with a key shown once, revoked or re-keyed by action."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse

from ..api.clients import ApiClientError, create_api_client, revoke_api_client, rotate_api_client_key
from .. import audit
from ..models import ApiClient, ApiScope
from .audit import AuditHistory

KEY_TEMPLATE = "admin/syncapp/apiclient/key_once.html"


@admin.register(ApiClient)
class ApiClientAdmin(AuditHistory, admin.ModelAdmin):
    list_display = ("name", "scope_list", "active", "key_prefix", "created_by", "created_at", "last_used_at")
    list_filter = ("active",)
    search_fields = ("name",)
    actions = ["revoke_selected", "rotate_selected"]
    readonly_fields = ("key_prefix", "active", "created_by", "created_at", "last_used_at", "revoked_at")

    @admin.display(description="scopes")
    def scope_list(self, obj) -> str:
        return ", ".join(obj.scopes)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("name", "scopes")
        return ("name", "scopes", *self.readonly_fields)

    def get_readonly_fields(self, request, obj=None):
        # A client's name is its v1 client_id: fixed once created.
        return self.readonly_fields if obj is None else ("name", *self.readonly_fields)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "scopes":
            from django import forms

            return forms.TypedMultipleChoiceField(
                choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple, required=True,
                help_text=db_field.help_text, label="Scopes",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            before = list(ApiClient.objects.filter(pk=obj.pk).values_list("scopes", flat=True).get())
            after = sorted(form.cleaned_data["scopes"])
            ApiClient.objects.filter(pk=obj.pk).update(scopes=after)
            if sorted(before) != after:
                audit.record(request, audit.AuditAction.API_CLIENT_CHANGE, obj, changes={"scopes": [before, after]})
            return
        try:
            issued = create_api_client(name=obj.name, scopes=form.cleaned_data["scopes"], created_by=request.user,
                                       actor=request)
        except ApiClientError as error:
            raise ValueError(str(error)) from error
        obj.pk, obj.key_prefix = issued.client.pk, issued.client.key_prefix
        request._issued_api_key = issued.key  # for response_add only: never stored, never logged

    def delete_model(self, request, obj):
        audit.record(request, audit.AuditAction.API_CLIENT_DELETE, obj, changes={"scopes": [obj.scopes, None]})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        clients = list(queryset)
        audit.record_many(request, audit.AuditAction.API_CLIENT_DELETE, clients)
        super().delete_queryset(request, queryset)

    def response_add(self, request, obj, post_url_continue=None):
        key = getattr(request, "_issued_api_key", None)
        if key is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "client": obj, "key": key, "opts": self.opts,
                   "title": f"API key of {obj.name}"}
        response = TemplateResponse(request, KEY_TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke the selected API clients (their keys stop working at once)",
                  permissions=["change"])
    def revoke_selected(self, request, queryset):
        revoked = sum(1 for client in queryset if revoke_api_client(client, actor=request))
        self.message_user(request, f"Revoked {revoked} API client(s).", messages.SUCCESS)

    @admin.action(description="Give the selected API client a new key", permissions=["change"])
    def rotate_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one client to re-key.", messages.ERROR)
            return None
        issued = rotate_api_client_key(queryset.get(), actor=request)
        context = {**self.admin_site.each_context(request), "client": issued.client, "key": issued.key,
                   "opts": self.opts, "title": f"New API key of {issued.client.name}"}
        response = TemplateResponse(request, KEY_TEMPLATE, context)
        response["Cache-Control"] = "no-store"
        return response
