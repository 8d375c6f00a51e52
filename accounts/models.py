"""The portal's user (email login) and its database sessions."""

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """Email is the login and is case-insensitive: store and look it up in lower case."""
        return (email or "").strip().lower()

    def get_by_natural_key(self, email: str):
        return self.get(email=self.normalize_email(email))

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), max_length=254, unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    mobile = PhoneNumberField(_("mobile number"), blank=True)
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_staff = models.BooleanField(
        _("Web Portaal user"), default=False, help_text=_("Can log in to the Web Portaal (staff site).")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # When the newest invitation (activation link) was sent; part of its token, so a newer link kills the older.
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True, editable=False)
    # Raised to end every session of the user at once (log out everywhere, a new second factor, a staff change of
    # email or mobile): each request compares it with the number its session was started under
    # (accounts.middleware), so ending sessions does not depend on the session store's index surviving eviction.
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    # Raised in the same transaction as every write that changes what the user's own pages show; a page kept in the
    # cache carries it in its key (dossier/page_cache.py), so a committed change is never served from an older copy.
    data_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = UserManager.normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        self.email = UserManager.normalize_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class ContactChange(models.Model):
    """A change of an employee's email address or mobile number asked by staff (dossier/account_rules.py rule 8).

    It is not applied when asked: the account keeps the address and number its owner proved, so every link and
    code still goes there, until the employee confirms the change through the mail to that address, or provider
    staff other than the one who asked confirm it with a written reason. A newer request replaces a pending one.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")
        REPLACED = "replaced", _("replaced by a newer request")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_changes"
    )
    # None: that field is not part of the request (so NULL and "" differ). An empty mobile number removes it.
    new_email = models.EmailField(_("new email address"), max_length=254, null=True, blank=True)  # noqa: DJ001
    new_mobile = models.CharField(_("new mobile number"), max_length=32, null=True, blank=True)  # noqa: DJ001
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # None with a decision: the employee decided, through the link mailed to the address they had proved.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("contact change")
        verbose_name_plural = _("contact changes")
        ordering = ("-requested_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(state="pending"),
                name="accounts_one_pending_contact_change",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_state_display()})"

    @property
    def fields(self) -> list[str]:
        return [
            f for f, value in (("email", self.new_email), ("mobile", self.new_mobile)) if value is not None
        ]


class Session(AbstractBaseSession):
    """A database session that knows its user, so all of a user's sessions can be ended server-side."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls):
        from accounts.sessions import SessionStore

        return SessionStore
