"""Django admin for superusers: configuration and records only. Respondents are deliberately absent:
their personal data is shown only through the audited officer pages."""

from django.contrib import admin
from django.http import HttpRequest

from civicforum.recruitment.models import (
    Address,
    AddressList,
    Lottery,
    QuotaCategory,
    QuotaQuestion,
    SelectionRun,
)


class QuotaCategoryInline(admin.TabularInline):
    model = QuotaCategory
    extra = 0


@admin.register(QuotaQuestion)
class QuotaQuestionAdmin(admin.ModelAdmin):
    list_display = ["label", "forum", "key", "position", "from_address", "special_category"]
    list_filter = ["forum"]
    inlines = [QuotaCategoryInline]
    # Changed only on the officer's page (questions/<id>/special-category/): unmarking is refused once
    # anyone registered, and marking erases the answers given before (quotas.mark_special_category).
    readonly_fields = ["special_category"]


@admin.register(AddressList)
class AddressListAdmin(admin.ModelAdmin):
    list_display = ["filename", "forum", "address_count", "uploaded_at"]
    readonly_fields = ["address_count", "uploaded_at", "uploaded_by"]


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    """Where a site administrator corrects a stored address line too long for the letters' envelope
    window (lists imported before the importer refused them), as the letters page asks, found by UPRN."""

    list_display = ["uprn", "address_line_1", "town", "postcode", "address_list"]
    search_fields = ["uprn"]
    fields = ["address_line_1", "address_line_2", "address_line_3", "town"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # addresses come from the council's list, imported whole


@admin.register(Lottery)
class LotteryAdmin(admin.ModelAdmin):
    list_display = ["forum", "letters_requested", "seed", "letters_status", "drawn_at"]
    readonly_fields = ["seed", "decile_weights", "letters_per_ward", "drawn_by", "letters_pdf", "mailing_csv"]


@admin.register(SelectionRun)
class SelectionRunAdmin(admin.ModelAdmin):
    list_display = ["forum", "algorithm", "status", "is_replacement", "created_at", "published_at"]
    readonly_fields = ["quotas", "result", "commitment", "seed", "created_by"]
