"""What the bench scripts share: production env (env), gunicorn/PostgreSQL/Redis (server), the HTTP client and the
employee flow (client), CPU and machine figures (machine), percentiles and tables (stats), in-process Django (inproc).

env.py imports only the standard library (bench/ours_target.py loads it in the peer's venv); the others may import
psycopg, redis, pyotp, argon2 and, for inproc, Django.
"""
