from django.contrib import admin

from helpline.contacts.models import Contact, ContactIdentity, Organization, OrganizationDomain


class DomainInline(admin.TabularInline):
    model = OrganizationDomain
    extra = 1


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "shares_tickets"]
    search_fields = ["name", "domains__domain"]
    inlines = [DomainInline]


class IdentityInline(admin.TabularInline):
    model = ContactIdentity
    extra = 1


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "created_at"]
    search_fields = ["name", "identities__value"]
    list_filter = ["organization"]
    inlines = [IdentityInline]
