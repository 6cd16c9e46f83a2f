"""Care back office: self-help components and tags (articles are written in the console)."""

from django.contrib import admin

from .models import Component, Tag


@admin.register(Component)
class ComponentAdmin(admin.ModelAdmin):
    list_display = ("name", "product", "position")
    list_filter = ("product",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ("name",)
