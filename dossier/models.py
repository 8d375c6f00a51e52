"""Employers (clients of the occupational-health provider) and a person's place at one."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Employer(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Employment(models.Model):
    """The employee's (or HR user's) place at an employer."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="employment",
        verbose_name=_("person"),
    )
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, related_name="employments", verbose_name=_("employer")
    )
    personnel_number = models.CharField(_("personnel number"), max_length=50, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employments")
        constraints = [
            models.UniqueConstraint(
                fields=["employer", "personnel_number"],
                condition=~models.Q(personnel_number=""),
                name="dossier_employment_unique_personnel_number",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.employer}"
