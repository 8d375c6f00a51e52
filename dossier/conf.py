"""The dossier app's own settings, read through one object so tests can override them."""

from django.conf import settings

# The categories that ask the employee for a response (Wet verbetering poortwachter: the plan and its evaluations).
DEFAULT_RESPONSE_CATEGORIES = (
    "plan_van_aanpak",
    "bijstelling_plan_van_aanpak",
    "eerstejaarsevaluatie",
    "re_integratieverslag",
)


class DossierSettings:
    @property
    def RESPONSE_CATEGORIES(self) -> frozenset[str]:  # noqa: N802
        return frozenset(getattr(settings, "DOSSIER_RESPONSE_CATEGORIES", DEFAULT_RESPONSE_CATEGORIES))

    @property
    def OWN_VIEW_MAX_CHARS(self) -> int:  # noqa: N802 - about two A4 pages; a calm limit, not an essay
        return getattr(settings, "DOSSIER_OWN_VIEW_MAX_CHARS", 2000)

    @property
    def IMPORT_MAX_ROWS(self) -> int:  # noqa: N802 - one file of employees; a larger one is refused
        return getattr(settings, "DOSSIER_IMPORT_MAX_ROWS", 2000)

    @property
    def IMPORT_MAX_BYTES(self) -> int:  # noqa: N802 - 2000 rows of CSV are some 200 kB; XLSX is zipped
        return getattr(settings, "DOSSIER_IMPORT_MAX_BYTES", 2 * 1024 * 1024)

    @property
    def PAGE_CACHE(self) -> bool:  # noqa: N802 - dossier.page_cache
        return bool(getattr(settings, "DOSSIER_PAGE_CACHE", True))


app_settings = DossierSettings()
