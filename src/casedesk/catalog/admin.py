"""Care maintains the product catalogue here."""

from django.contrib import admin

from .models import MajorVersion, Patch, Product, ProductGroup


class ProductInline(admin.TabularInline):
    model = Product
    extra = 0


@admin.register(ProductGroup)
class ProductGroupAdmin(admin.ModelAdmin):
    search_fields = ["name"]
    inlines = [ProductInline]


class VersionInline(admin.TabularInline):
    model = MajorVersion
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "third_party"]
    list_filter = ["group", "third_party"]
    search_fields = ["name"]
    inlines = [VersionInline]


class PatchInline(admin.TabularInline):
    model = Patch
    extra = 0


@admin.register(MajorVersion)
class MajorVersionAdmin(admin.ModelAdmin):
    list_display = ["product", "name"]
    search_fields = ["product__name", "name"]
    inlines = [PatchInline]
