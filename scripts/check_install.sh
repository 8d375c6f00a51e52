#!/usr/bin/env bash
# The installs a newcomer and the image make, checked from nothing (issue 27); .ci/run calls this.
#  1. The image's way: a fresh venv of the lowest supported Python (Debian 12's /usr/bin/python3.11 is 3.11.2 where
#     present), its own pip, `--require-hashes --no-deps --only-binary :all: -r requirements.lock`, then `pip check`
#     and the image's build steps (collectstatic, then Django's system checks, which import every installed app).
#  2. A lock whose hash was edited by hand stops the install with pip's and uv's own message; nothing is installed
#     and nothing else is fetched in its place.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

lowest=""
for candidate in /usr/bin/python3.11 "$(command -v python3.11 || true)"; do
  [ -x "$candidate" ] || continue
  "$candidate" -c 'import sys; sys.exit(not ((3, 11, 2) <= sys.version_info[:3] < (3, 12)))' || continue
  "$candidate" -c 'import ensurepip' 2>/dev/null || continue
  if [ -z "$lowest" ] || "$candidate" -c "import sys; sys.exit(not sys.version_info[:3] < $("$lowest" -c \
      'import sys; print(tuple(sys.version_info[:3]))'))"; then
    lowest=$candidate
  fi
done
[ -n "$lowest" ] || { echo "check_install: no Python 3.11.2+ with venv found"; exit 1; }

echo "== the image's install on $("$lowest" --version) ($lowest)"
start=$SECONDS
"$lowest" -m venv "$work/image"
"$work/image/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check \
  --require-hashes --no-deps --only-binary :all: -r requirements.lock
"$work/image/bin/python" -m pip check --disable-pip-version-check
# The modules Django does not load at start-up (redis.asyncio needs async-timeout below 3.11.3), then the image's own
# build-time settings (Dockerfile): collectstatic as the image runs it, then Django's system checks (every app imported).
"$work/image/bin/python" -c 'import gunicorn.app.wsgiapp, psycopg, redis.asyncio, storages.backends.s3, openpyxl'
image_env=(env DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost SITE_URL=https://build.invalid \
  DEFAULT_FROM_EMAIL=build@build.invalid RECAPTCHA_PUBLIC_KEY=build RECAPTCHA_PRIVATE_KEY=build \
  TWILIO_ACCOUNT_SID=build TWILIO_AUTH_TOKEN=build TWILIO_FROM_NUMBER=build VAR_DIR="$work/var" \
  STATIC_ROOT="$work/static")
"${image_env[@]}" "$work/image/bin/python" manage.py collectstatic --noinput --verbosity 0
"${image_env[@]}" "$work/image/bin/python" manage.py check
echo "image install: $((SECONDS - start)) s"

echo "== a lock with a hash edited by hand is refused"
# The first package of the runtime lock with its first hash changed (and its other hashes dropped).
python3 - "$work/tampered.lock" <<'EOF'
import re, sys
text = open("requirements.lock").read()
block = re.search(r"^([a-z0-9][^\n]*?==[^\n]*?) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", text, re.M)
first_hash = re.search(r"[0-9a-f]{64}", block.group(2)).group(0)
bad = first_hash[:-1] + ("0" if first_hash[-1] != "0" else "1")
open(sys.argv[1], "w").write(f"{block.group(1)} \\\n    --hash=sha256:{bad}\n")
print("tampered:", block.group(1))
EOF
"$lowest" -m venv "$work/tampered"
if "$work/tampered/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --require-hashes \
    --no-deps -r "$work/tampered.lock" >"$work/pip.out" 2>&1; then
  echo "pip installed a package whose hash does not match the lock"; exit 1
fi
grep -q "DO NOT MATCH THE HASHES" "$work/pip.out" || { cat "$work/pip.out"; echo "pip failed otherwise"; exit 1; }
echo "pip refused it: $(grep -m1 -A0 'DO NOT MATCH' "$work/pip.out")"
if UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never UV_CACHE_DIR="$work/uv-cache" .venv/bin/uv pip install \
    --python "$work/tampered/bin/python" --require-hashes --no-deps --no-build -r "$work/tampered.lock" \
    >"$work/uv.out" 2>&1; then
  echo "uv installed a package whose hash does not match the lock"; exit 1
fi
grep -qi "hash mismatch" "$work/uv.out" || { cat "$work/uv.out"; echo "uv failed otherwise"; exit 1; }
echo "uv refused it: $(grep -m1 -i 'hash mismatch' "$work/uv.out")"
left=$("$work/tampered/bin/python" -m pip list --format=freeze --disable-pip-version-check | grep -cv '^pip==\|^setuptools==' || true)
[ "$left" = 0 ] || { echo "the refused install left $left packages behind"; exit 1; }
echo "check_install: OK"
