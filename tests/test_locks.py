"""The locks install on a fresh machine without resolving anything (issue 27).

What `make install` and the image rely on, read from the committed files: every requirement pinned with == and
hashed, nothing machine-local (index or find-links lines), the dev lock holding the runtime lock's pins exactly (it is
installed alone, with --no-deps), the packages that only some Python 3.11 patch releases need carried with their
markers, and the lowest Python stated once, the same in pyproject.toml and the Makefile.
The install itself (fresh venv, tampered hash refused) is run by .ci/run through scripts/check_install.sh.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ("requirements-bootstrap.lock", "requirements.lock", "requirements-dev.lock")


def parse_lock(name):
    """{canonical name: (requirement line without hashes, set of hashes)}; raises on any line that is not one."""
    entries, options = {}, []
    text = (ROOT / name).read_text()
    for logical in re.sub(r"\\\n", " ", text).splitlines():
        line = logical.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            options.append(line)
            continue
        spec, *hashes = re.split(r"\s+--hash=", line)
        req = Requirement(spec.strip())
        entries[req.name.lower().replace("_", "-")] = (req, frozenset(hashes))
    return entries, options


@pytest.mark.parametrize("name", LOCKS)
def test_every_requirement_is_pinned_exactly_and_hashed(name):
    entries, options = parse_lock(name)
    assert entries
    assert options == [], f"{name}: no index, find-links or other option lines: {options}"
    for key, (req, hashes) in entries.items():
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version, (name, key)
        assert hashes and all(h.startswith("sha256:") and len(h) == 71 for h in hashes), (name, key)


def test_the_dev_lock_holds_the_runtime_pins_exactly():
    runtime, _ = parse_lock("requirements.lock")
    dev, _ = parse_lock("requirements-dev.lock")
    for key, (req, hashes) in runtime.items():
        assert key in dev, key
        assert str(dev[key][0]) == str(req) and dev[key][1] == hashes, key


def test_the_installer_is_pinned_in_the_bootstrap_lock():
    entries, _ = parse_lock("requirements-bootstrap.lock")
    assert set(entries) == {"uv"}


def lowest_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (lower,) = [s for s in SpecifierSet(project["requires-python"]) if s.operator == ">="]
    return lower.version


def test_the_lowest_python_is_stated_once():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(rf"^MIN_PYTHON := {re.escape(lowest_python())}$", makefile, re.M)
    assert "(3, 11, 2)" in makefile and lowest_python() == "3.11.2"


@pytest.mark.parametrize("python", ["3.11.2", "3.11.7", "3.11.14"])
def test_every_runtime_dependency_is_in_the_lock_on_each_supported_python(python):
    """What each locked package requires on that Python (Linux, CPython) is locked too, so --no-deps misses nothing:
    redis needs async-timeout below 3.11.3, which a lock made on a newer 3.11 used to leave out."""
    from importlib.metadata import PackageNotFoundError, distribution

    env = {
        "python_full_version": python,
        "python_version": "3.11",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "platform_machine": "x86_64",
    }
    runtime, _ = parse_lock("requirements.lock")
    installed = {k for k, (req, _) in runtime.items() if req.marker is None or req.marker.evaluate(env)}
    for key in installed:
        req, _ = runtime[key]
        try:
            requires = distribution(req.name).requires or ()
        except PackageNotFoundError:  # not for this venv's Python: only a package with a marker may be absent
            assert req.marker is not None and not req.marker.evaluate(), req
            continue
        for dep in requires:
            dep = Requirement(dep)
            extras = req.extras or {""}
            if dep.marker is not None and not any(dep.marker.evaluate({**env, "extra": e}) for e in extras):
                continue
            dep_key = dep.name.lower().replace("_", "-")
            assert dep_key in installed, f"{req} needs {dep} on Python {python}"
    assert ("async-timeout" in installed) == (python == "3.11.2")
    assert Marker("python_full_version < '3.11.3'") == runtime["async-timeout"][0].marker
