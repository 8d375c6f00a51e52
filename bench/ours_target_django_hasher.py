# ruff: noqa: S108, S110, S603, S608, SIM115 - a local bench script: fixed loopback commands, /tmp work folders
"""Our portal as a measure.py target with Django's Argon2PasswordHasher (100 MiB, t=2, p=8), the peer's parameters.

For the goal "password step >= 1.0 at equal hasher parameters": the same server as ours_target.py, only the first
hasher swapped (bench_users then hashes the bench password with it, and the floor (e) uses the same parameters).
"""

import importlib.util
import os
from pathlib import Path

os.environ["BENCH_HASHER"] = "django"
try:
    _spec = importlib.util.spec_from_file_location(
        "ours_target_django", Path(__file__).with_name("ours_target.py")
    )
    _mod = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_mod)
finally:
    os.environ.pop("BENCH_HASHER", None)

TARGET = _mod.TARGET
