"""Model factories for the tests: users, employers, employments, devices and documents."""

import base64
import datetime

import factory

from accounts.models import User

PASSWORD = "juiste-paard-batterij-nietje"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"werknemer{n}@example.nl")
    first_name = "Jan"
    last_name = factory.Sequence(lambda n: f"Jansen{n}")
    birth_date = datetime.date(1985, 7, 4)
    mobile = "+31612345678"
    language = "nl"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dossier.Employer"

    name = factory.Sequence(lambda n: f"Werkgever {n} B.V.")


class EmploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dossier.Employment"

    user = factory.SubFactory(UserFactory)
    employer = factory.SubFactory(EmployerFactory)
    personnel_number = factory.Sequence(lambda n: f"P{n:05d}")
    job_title = "Medewerker"


def pdf_bytes(text: str = "Test") -> bytes:
    from dossier.demo import demo_pdf

    return demo_pdf(text)


def document_for(
    employee, *, title="Plan van aanpak", category="plan_van_aanpak", medical=False, content=None
):
    """A document stored through the real service (file in the private storage, row, notification)."""
    from django.core.files.base import ContentFile

    from dossier.services import document_create

    return document_create(
        employee=employee,
        category=category,
        title=title,
        is_medical=medical,
        upload=ContentFile(content or pdf_bytes(title), name=f"{title}.pdf"),
    )


# ----------------------------------------------------------------------------------------------- devices
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # the tests' authenticator app (tests.conftest.totp_code)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator app with the tests' known secret."""

    class Meta:
        model = "otp_totp.TOTPDevice"

    user = factory.SubFactory(UserFactory)
    name = "app"
    key = base64.b32decode(TOTP_SECRET).hex()
    confirmed = True


class SMSDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed SMS device on a Dutch mobile number."""

    class Meta:
        model = "twofactor.SMSDevice"

    user = factory.SubFactory(UserFactory)
    name = "sms"
    number = "+31612345678"
    confirmed = True


class DocumentFactory(factory.Factory):
    """A document made through the real service (document_for), so file, row and notification all exist."""

    class Meta:
        model = dict  # built by _create below

    employee = factory.SubFactory(UserFactory)
    title = "Plan van aanpak"
    category = "plan_van_aanpak"
    medical = False

    @classmethod
    def _create(cls, model_class, *, employee, title, category, medical, **kwargs):
        return document_for(employee, title=title, category=category, medical=medical)
