"""One row by its primary key, with the SQL built once per process (issue 18): the user and the verified device that
every logged-in request reads.

`Model._default_manager.get(pk=...)` builds a QuerySet, compiles it to SQL and turns the row into an object on
every call; on this project's machines the building and compiling cost about 0.3 ms of CPU, three quarters of the
read. `PkLoader(Model).get(pk)` runs the *same* SQL (Django compiles it once from `_default_manager.filter(pk=...)`,
so a manager that narrows its rows narrows them here too), with the same parameter conversion and the same value
converters of the database backend, and returns the same object (`Model.from_db`), or None.

Used where a row is read on every request and nothing but its primary key selects it: the authentication backend's
`get_user` (accounts/backends.py) and django-otp's device of the session (twofactor/middleware.py). The checks
around those reads (Django's session hash, django-otp's device owner and confirmation) stay where they are.
"""

from __future__ import annotations

import datetime
import logging
import threading
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet, ImproperlyConfigured, ValidationError
from django.db import connections, router, transaction
from django.db.models.signals import post_save, pre_save

from core.durability import may_send_ahead

logger = logging.getLogger(__name__)

# A marker value (inside every integer range): the compiled SQL's parameter that equals it is the one a call fills in.
_SENTINEL = 2_147_480_123


class _Compiled(NamedTuple):
    sql: str
    params: tuple
    slot: int
    attnames: list
    converters: dict
    compiler: object


class PkLoader:
    """`get(pk)`: `Model._default_manager.get(pk=pk)`, or None where that raises DoesNotExist or the value is no
    valid key. Integer primary keys only (a non-integer key refuses at the first call)."""

    def __init__(self, model):
        self.model = model
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _Compiled:
        with self._lock:
            if alias in self._compiled:
                return self._compiled[alias]
            if self.model._meta.pk.get_internal_type() not in ("AutoField", "BigAutoField", "IntegerField"):
                raise ImproperlyConfigured(f"PkLoader: {self.model._meta.label} has no integer primary key")
            query = self.model._default_manager.db_manager(alias).filter(pk=_SENTINEL).query
            compiler = query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
            slots = [i for i, value in enumerate(params) if value == _SENTINEL]
            if len(slots) != 1:
                raise ImproperlyConfigured(f"PkLoader: cannot find the key's parameter for {self.model._meta.label}")
            columns = [expression for expression, _sql, _alias in compiler.select[: compiler.col_count]]
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                slot=slots[0],
                attnames=[column.target.attname for column in columns],
                converters=compiler.get_converters(columns),
                compiler=compiler,
            )
            self._compiled[alias] = compiled
            return compiled

    def get(self, pk, *, using: str | None = None):
        alias = using or router.db_for_read(self.model)
        compiled = self._compiled.get(alias) or self._compile(alias)
        pk = integer_key(self.model, pk, alias)
        if pk is None:
            return None
        params = list(compiled.params)
        params[compiled.slot] = pk
        with connections[alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if compiled.converters:
            row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
        return self.model.from_db(alias, compiled.attnames, row)


def integer_key(model, value, alias: str | None = None) -> int | None:
    """`value` as the model's integer primary key, or None where no row can have it (not a number, or outside the
    column's range: as the ORM's lookup, the database is not asked)."""
    try:
        value = model._meta.pk.to_python(value)
    except ValidationError:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    ops = connections[alias or router.db_for_read(model)].ops
    low, high = ops.integer_field_range(model._meta.pk.get_internal_type())
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


_loaders: dict = {}


def loader(model) -> PkLoader:
    """The process's loader of this model."""
    found = _loaders.get(model)
    if found is None:
        found = _loaders.setdefault(model, PkLoader(model))
    return found


# ------------------------------------------------------------------------------------ a QuerySet, compiled once
class _Sentinels:
    """Two distinct marker values per parameter type: compiling with each and comparing the SQL's parameters shows
    which parameter carries which value."""

    @staticmethod
    def pair(name: str, value) -> tuple:
        if isinstance(value, bool):
            raise ImproperlyConfigured(f"PreparedQuery: {name} is a bool, which changes the SQL; pass it as the key")
        if isinstance(value, int):
            return _SENTINEL - 1, _SENTINEL - 2
        if isinstance(value, str):
            return f"prepared-a-{name}", f"prepared-b-{name}"
        if isinstance(value, datetime.datetime):
            base = datetime.datetime(2999, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)
            return base, base + datetime.timedelta(seconds=1)
        raise ImproperlyConfigured(f"PreparedQuery: no marker for {name}={type(value).__name__}")


class _CompiledQuery(NamedTuple):
    sql: str
    params: tuple
    slots: dict  # parameter position -> name
    compiler: object


_EMPTY = object()


class PreparedQuery:
    """`fetch(shape, **values)`: `list(build(**values))`, the same model objects (select_related, annotations and
    deferred fields included), with the SQL compiled once per process, database and *shape*.

    `build(**values)` makes the QuerySet from the values (ints, strings, aware datetimes). Everything else that
    changes the SQL's text rather than its parameters (which filters apply, a slice's numbers, the user's kind for
    an access rule) must be in `shape`, and `build` must take it as its first argument. The first call per shape
    compiles the QuerySet twice, with two marker values for each parameter, and finds the position of each value
    among the SQL's parameters; it refuses (ImproperlyConfigured) a QuerySet whose SQL text changes with a value,
    or where a value cannot be found, rather than guess. A real value is adapted for the database as Django adapts
    that type (`adapters`: name -> f(connection, value), e.g. datetimes on SQLite) and checked the same way.
    """

    MAX_SHAPES = 64  # beyond this (e.g. far page numbers), the QuerySet runs as usual

    def __init__(self, model, build, **adapters):
        self.model = model
        self.build = build
        self.adapters = adapters
        self._compiled: dict = {}
        self._lock = threading.Lock()

    def _adapt(self, connection, name: str, value):
        adapter = self.adapters.get(name)
        return adapter(connection, value) if adapter is not None else value

    def _compile(self, alias: str, shape, values: dict):
        connection = connections[alias]
        pairs = {name: _Sentinels.pair(name, value) for name, value in values.items()}
        compiled = []
        for side in (0, 1):
            queryset = self.build(shape, **{name: pair[side] for name, pair in pairs.items()})
            _refuse_what_rows_alone_cannot_give(queryset)
            compiler = queryset.query.get_compiler(using=alias)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:  # .none(): nothing to ask the database, for any value
                return _EMPTY
            compiled.append((sql, list(params), compiler))
        (sql_a, params_a, compiler), (sql_b, params_b, _) = compiled
        if sql_a != sql_b or len(params_a) != len(params_b):
            raise ImproperlyConfigured("PreparedQuery: the SQL's text changes with a value; put it in the shape")
        slots = {}
        for position, (a, b) in enumerate(zip(params_a, params_b, strict=True)):
            if a == b:
                continue
            names = [n for n, pair in pairs.items() if self._adapt(connection, n, pair[0]) == a]
            names = [n for n in names if self._adapt(connection, n, pairs[n][1]) == b]
            if len(names) != 1:
                raise ImproperlyConfigured(f"PreparedQuery: cannot tell which value parameter {position} holds")
            slots[position] = names[0]
        if set(slots.values()) != set(values):
            raise ImproperlyConfigured("PreparedQuery: a value is not a parameter of the SQL (put it in the shape)")
        return _CompiledQuery(sql_a, tuple(params_a), slots, compiler)

    def fetch(self, shape, **values) -> list:
        return fetch_many((self, shape, values))[0]

    def _statement(self, shape, values: dict):
        """(alias, compiled, params) for one call; None where the QuerySet runs as usual (too many shapes)."""
        alias = router.db_for_read(self.model)
        key = (alias, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key)
                if compiled is None:
                    if len(self._compiled) >= self.MAX_SHAPES:
                        return None
                    compiled = self._compiled[key] = self._compile(alias, shape, values)
        if compiled is _EMPTY:
            return alias, compiled, None
        connection = connections[alias]
        params = list(compiled.params)
        for position, name in compiled.slots.items():
            params[position] = self._adapt(connection, name, values[name])
        return alias, compiled, params


def _refuse_what_rows_alone_cannot_give(queryset) -> None:
    """The rows become model objects as ModelIterable makes them; a QuerySet that asks for more (prefetching,
    values(), objects already known, another database) is refused rather than half served."""
    from django.db.models.query import ModelIterable

    if (
        queryset._iterable_class is not ModelIterable
        or queryset._prefetch_related_lookups
        or queryset._known_related_objects
        or queryset._db is not None
    ):
        raise ImproperlyConfigured("PreparedQuery: only a plain QuerySet of model objects can be prepared")


def _several_statements_at_once(connection) -> bool:
    """PostgreSQL with Django's default client-side binding takes several statements in one execute() and returns
    a result set for each (psycopg 3's nextset()); psycopg2, server-side binding and SQLite take one at a time."""
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3 and not connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")


def fetch_many(*calls) -> list[list]:
    """`[query.fetch(shape, **values) for query, shape, values in calls]`, in one round trip to the database where
    it takes several statements at once (the page's five reads cost one wait instead of five)."""
    statements = [query._statement(shape, values) for query, shape, values in calls]
    results: list = [None] * len(calls)
    batch = []
    for index, ((query, shape, values), statement) in enumerate(zip(calls, statements, strict=True)):
        if statement is None:
            results[index] = list(query.build(shape, **values))
        elif statement[1] is _EMPTY:
            results[index] = []
        else:
            batch.append((index, *statement))
    by_alias: dict = {}
    for item in batch:
        by_alias.setdefault(item[1], []).append(item)
    for alias, items in by_alias.items():
        connection = connections[alias]
        with connection.cursor() as cursor:
            if len(items) > 1 and _several_statements_at_once(connection):
                cursor.execute("; ".join(c.sql for _, _, c, _ in items), [p for *_, params in items for p in params])
                for position, (index, _, compiled, _) in enumerate(items):
                    if position:
                        cursor.nextset()
                    results[index] = list(_objects(compiled.compiler, alias, cursor.fetchall()))
            else:
                for index, _, compiled, params in items:
                    cursor.execute(compiled.sql, params)
                    results[index] = list(_objects(compiled.compiler, alias, cursor.fetchall()))
    return results


def _objects(compiler, alias: str, rows):
    """Model objects from rows, as Django's ModelIterable makes them from the same compiler's SQL."""
    converters, model, init_list, start, end, related_populators, annotations = _materializer(compiler, alias)
    if compiler.has_extra_select:
        rows = [row[: compiler.col_count] for row in rows]
    if converters:
        rows = compiler.apply_converters(rows, converters)
    for row in rows:
        obj = model.from_db(alias, init_list, row[start:end])
        for populator in related_populators:
            populator.populate(row, obj)
        for attr, position in annotations:
            setattr(obj, attr, row[position])
        yield obj


def _materializer(compiler, alias: str) -> tuple:
    """What `_objects` needs of a compiled statement, worked out at its first rows and kept with it (issue 18): the
    value converters (`SQLCompiler.results_iter` looks them up for every query), the model's columns and the
    related objects' populators (`ModelIterable` builds them for every query; they keep nothing of a row)."""
    found = getattr(compiler, "_prepared_materializer", None)
    if found is not None and found[0] == alias:
        return found[1]
    from django.db.models.query import get_related_populators

    select, klass_info = compiler.select, compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    made = (
        compiler.get_converters([column[0] for column in select[: compiler.col_count]]),
        klass_info["model"],
        [column[0].target.attname for column in select[start:end]],
        start,
        end,
        get_related_populators(klass_info, select, alias),
        tuple((compiler.annotation_col_map or {}).items()),
    )
    compiler._prepared_materializer = (alias, made)  # noqa: SLF001 - our own note on a compiler we keep
    return made


# ------------------------------------------------------------------------------------- an INSERT, compiled once
class _CompiledInsert(NamedTuple):
    sql: str
    fields: list
    returning: list
    converters: dict
    compiler: object


_ORM = object()  # a model whose INSERT could not be prepared: create() as usual


class PreparedInsert:
    """`create(**values)`: `Model._default_manager.create(**values)` for rows that are only ever added (the access
    log, audit events: one per page view), with the INSERT compiled once per process and database.

    The row is made as `create()` makes it: the model's constructor (defaults), each field's `pre_save` for an
    insert (`auto_now_add`) and its conversion for the database, the key from the database (RETURNING). What it
    skips is `Model.save()` itself, so it takes the ORM's way whenever that would do more: a model with
    pre_save/post_save receivers, or a value that is an expression."""

    def __init__(self, model):
        self.model = model
        self._compiled: dict[str, _CompiledInsert] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _CompiledInsert:
        from django.db.models.sql import InsertQuery

        meta = self.model._meta
        fields = [f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field]
        query = InsertQuery(self.model)
        query.insert_values(fields, [self.model()])  # an example row: only the SQL's text is kept
        compiler = query.get_compiler(using=alias)
        compiler.returning_fields = list(meta.db_returning_fields)
        statements = compiler.as_sql()
        if len(statements) != 1 or len(statements[0][1]) != len(fields):
            raise ImproperlyConfigured(f"PreparedInsert: no single plain INSERT for {meta.label}")
        features = connections[alias].features
        returning = compiler.returning_fields
        if returning and not features.can_return_columns_from_insert:
            raise ImproperlyConfigured("PreparedInsert: the database cannot return the new key from the INSERT")
        columns = [field.get_col(meta.db_table) for field in returning]
        return _CompiledInsert(statements[0][0], fields, returning, compiler.get_converters(columns), compiler)

    def create(self, **values):
        return self.create_along((), **values)

    def create_along(self, statements, **values):
        """`create(**values)`, with other writes (`PreparedUpdate.statement`) in the same round trip where the
        database takes several statements at once, else one by one: in either case all or none of them."""
        return self._create(statements, values, ahead=False)

    def send_along(self, statements=(), **values):
        """`create_along()` for a log row whose key nobody reads: where core/durability.py allows it (a request,
        PostgreSQL, no transaction of a caller's) the writes are sent ahead, one message, and their commit is read
        before the response leaves; the object returned then has no key. Elsewhere exactly `create_along()`."""
        return self._create(statements, values, ahead=True)

    def _create(self, statements, values, *, ahead: bool):
        model = self.model
        if (
            pre_save.has_listeners(model)
            or post_save.has_listeners(model)
            or any(hasattr(value, "resolve_expression") for value in values.values())
            or {"pk", model._meta.pk.name, model._meta.pk.attname} & set(values)  # an explicit key
        ):
            return _orm_along(statements, model, values)
        obj = model(**values)
        alias = router.db_for_write(model, instance=obj)
        if any(statement.alias != alias for statement in statements):
            raise ImproperlyConfigured("PreparedInsert: writes along an INSERT must go to its database")
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias)
                if compiled is None:
                    try:
                        compiled = self._compile(alias)
                    except ImproperlyConfigured:
                        logger.exception("PreparedInsert: %s is written through the ORM", model._meta.label)
                        compiled = _ORM
                    self._compiled[alias] = compiled
        if compiled is _ORM:
            return _orm_along(statements, model, values)
        connection = connections[alias]
        params = [field.get_db_prep_save(field.pre_save(obj, True), connection) for field in compiled.fields]
        if ahead and may_send_ahead(connection):  # one message: PostgreSQL runs its statements as one transaction
            connection.send_ahead(
                "; ".join([*(s.sql for s in statements), compiled.sql]),
                [*(p for s in statements for p in s.params), *params],
            )
            return obj
        with connection.cursor() as cursor:
            if not statements:
                cursor.execute(compiled.sql, params)
                row = cursor.fetchone() if compiled.returning else None
            elif _several_statements_at_once(connection):
                # One query message: PostgreSQL runs its statements as one transaction (or in the caller's).
                cursor.execute(
                    "; ".join([*(s.sql for s in statements), compiled.sql]),
                    [*(p for s in statements for p in s.params), *params],
                )
                for _ in statements:
                    cursor.nextset()
                row = cursor.fetchone() if compiled.returning else None
            else:
                with transaction.atomic(using=alias, savepoint=False):
                    for statement in statements:
                        cursor.execute(statement.sql, statement.params)
                    cursor.execute(compiled.sql, params)
                    row = cursor.fetchone() if compiled.returning else None
        if row is not None:
            if compiled.converters:
                row = next(iter(compiled.compiler.apply_converters([row], compiled.converters)))
            for field, value in zip(compiled.returning, row, strict=True):
                setattr(obj, field.attname, value)
        obj._state.adding = False
        obj._state.db = alias
        return obj


def _orm_along(statements, model, values):
    """The ORM's create(), after the other writes, in one transaction."""
    if not statements:
        return model._default_manager.create(**values)
    with transaction.atomic(using=statements[0].alias, savepoint=False):
        with connections[statements[0].alias].cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.sql, statement.params)
        return model._default_manager.create(**values)


# ------------------------------------------------------------------------------- an UPDATE by key, compiled once
class Statement(NamedTuple):
    alias: str
    sql: str
    params: list


class PreparedUpdate:
    """`statement(pk, **values)`: the SQL of `Model._base_manager.filter(pk=pk).update(**values)` for these plain
    fields (values, not expressions), compiled once per process and database, to be run along an INSERT
    (`PreparedInsert.create_along`): the login's `last_login` beside its audit event. Like update(), it sends no
    signal and does not call save(); integer keys only."""

    def __init__(self, model, *fields: str):
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        self._compiled: dict[str, str] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str, values: dict, params: list) -> str:
        """The SQL, compiled from the first call's values; the same text serves every non-NULL value of these
        fields (their placeholder is "%s" whatever the value), which the parameters' positions are checked for."""
        from django.db.models.sql import UpdateQuery

        if any(hasattr(field, "get_placeholder") for field in self.fields):
            raise ImproperlyConfigured(f"PreparedUpdate: a field of {self.model._meta.label} has its own placeholder")
        query = UpdateQuery(self.model)
        query.add_update_fields([(field, None, values[field.name]) for field in self.fields])
        query.add_filter("pk", _SENTINEL)
        sql, compiled = query.get_compiler(using=alias).as_sql()
        if list(compiled) != [*params, _SENTINEL] or sql.count("%s") != len(compiled):
            raise ImproperlyConfigured(f"PreparedUpdate: no plain UPDATE by key for {self.model._meta.label}")
        return sql

    def statement(self, pk, **values) -> Statement:
        if set(values) != {field.name for field in self.fields}:
            raise ImproperlyConfigured(f"PreparedUpdate: the values of exactly {[f.name for f in self.fields]}")
        if any(value is None or hasattr(value, "resolve_expression") for value in values.values()):
            raise ImproperlyConfigured("PreparedUpdate: plain values only (no NULL, no expression)")
        alias = router.db_for_write(self.model)
        key = integer_key(self.model, pk, alias)
        if key is None:
            raise ValueError(f"PreparedUpdate: {pk!r} is no key of {self.model._meta.label}")
        connection = connections[alias]
        params = [field.get_db_prep_save(values[field.name], connection) for field in self.fields]
        sql = self._compiled.get(alias)
        if sql is None:
            with self._lock:
                sql = self._compiled.get(alias)
                if sql is None:
                    sql = self._compiled[alias] = self._compile(alias, values, params)
        return Statement(alias, sql, [*params, key])
