"""Who the bench users are: email, password and TOTP secret of bench user i. Standard library only.

The bench scripts import this without Django, also from the peer's venv (bench/ours_target.py), so it must not
import Django or the portal.
"""

import base64
import hashlib

BENCH_PASSWORD = "bench-wachtwoord-2026"
BENCH_DOMAIN = "bench.test"


def bench_email(prefix: str, i: int) -> str:
    return f"{prefix}{i}@{BENCH_DOMAIN}"


def bench_secret(prefix: str, i: int) -> str:
    """The TOTP secret of bench user i, base32 as authenticator apps and pyotp want it (32 characters)."""
    return base64.b32encode(hashlib.sha256(f"{prefix}{i}".encode()).digest()[:20]).decode("ascii")
