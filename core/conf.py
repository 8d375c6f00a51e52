"""The core app's own settings, read through one object so tests can override them."""

from django.conf import settings


class CoreSettings:
    @property
    def MAIL_DELIVERY(self) -> str:  # noqa: N802 - "on_commit" or "worker"
        return getattr(settings, "MAIL_DELIVERY", "worker")

    @property
    def MAIL_MAX_ATTEMPTS(self) -> int:  # noqa: N802
        return getattr(settings, "MAIL_MAX_ATTEMPTS", 12)

    @property
    def TRUSTED_PROXY_COUNT(self) -> int:  # noqa: N802
        return getattr(settings, "TRUSTED_PROXY_COUNT", 0)

    @property
    def TRUSTED_PROXY_IPS(self) -> list[str]:  # noqa: N802
        return getattr(settings, "TRUSTED_PROXY_IPS", ["127.0.0.1", "::1"])

    @property
    def METRICS_TOKEN(self) -> str:  # noqa: N802 - "" means no metrics endpoint
        return getattr(settings, "METRICS_TOKEN", "")


app_settings = CoreSettings()
