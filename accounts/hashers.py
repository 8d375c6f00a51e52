"""Argon2id with OWASP's recommended minimum (19 MiB, t=2, p=1) instead of Django's 100 MiB, p=8.

OWASP's Password Storage Cheat Sheet lists m=19456 KiB, t=2, p=1 as a minimum configuration for argon2id. It costs
about a fifth of Django's default in memory and CPU per login, so a flood of wrong passwords costs the server far
less while each guess stays expensive for an attacker with a stolen database. Hashes keep the "argon2" algorithm
name; Django rehashes a stored hash with other parameters at the next login.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
