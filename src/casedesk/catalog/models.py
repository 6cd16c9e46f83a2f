"""The product catalogue: groups, products, major versions and patches (B2, G5)."""

from __future__ import annotations

from django.db import models


class ProductGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    group = models.ForeignKey(ProductGroup, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(max_length=120, unique=True)
    third_party = models.BooleanField(
        default=False, help_text="Made by another vendor; supported only when bought from us (G5)."
    )

    class Meta:
        ordering = ["group__name", "name"]

    def __str__(self) -> str:
        return self.name


class MajorVersion(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["product__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="uniq_version_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.name}"


class Patch(models.Model):
    major_version = models.ForeignKey(
        MajorVersion, on_delete=models.CASCADE, related_name="patches"
    )
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["major_version__name", "name"]
        verbose_name_plural = "patches"
        constraints = [
            models.UniqueConstraint(fields=["major_version", "name"], name="uniq_patch_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.major_version} {self.name}"
