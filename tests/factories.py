"""Model factories for the tests."""

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
