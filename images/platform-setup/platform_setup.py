"""The stack's platform setup task: fills the generated secrets, creates the database logins.

Run by the stack as two tasks of one image (components/stack/platform_tasks.py):
- `setup`, before every deploy (`runBeforeDeploy`): fill every empty generated secret with a
  value from `secretsmanager:GetRandomPassword` (never overwriting one), then, as the RDS master
  user, create or reconcile one login per service (its own schema, its password from its own
  secret), Keycloak's login and its own database, and take from PUBLIC what PostgreSQL grants
  it by default (CONNECT on the databases, CREATE on `public`).
- `rotate`, on a schedule: a new password for every login (`ALTER ROLE`, then the secret), so
  the restart the secret's change triggers gives the services the new one.

The plan comes from the environment (`PLATFORM_SETUP`, JSON written by the program: names and
ARNs, never a value). The master password is read from its RDS-managed secret at run time and
never leaves this process; a login's password reaches PostgreSQL only as a SCRAM-SHA-256
verifier (what `\\password` sends), so no statement or server log holds it.

Standard library plus boto3 and pg8000 (images/platform-setup/requirements.txt, by hash).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
"""Login, schema and database names the program gives (PostgreSQL's 63-byte limit)."""
SCRAM_ITERATIONS = 4096
"""PostgreSQL's default `scram_iterations`."""
PASSWORD_LENGTH = 48
CURRENT, PENDING = "AWSCURRENT", "AWSPENDING"


# -- passwords as PostgreSQL stores them ----------------------------------------------------------


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (RFC 5802, RFC 7677), the
    form `ALTER ROLE ... PASSWORD` stores as given instead of the password (PostgreSQL docs,
    "Password Authentication"). Generated passwords are ASCII letters and digits, which
    SASLprep leaves as they are."""
    if not password.isascii():
        raise ValueError("only ASCII passwords are hashed here (no SASLprep)")
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def ident(name: str) -> str:
    """A name the program gave, double-quoted; anything else is refused, never escaped."""
    if not IDENTIFIER.match(name):
        raise ValueError(f"not a login, schema or database name: {name!r}")
    return f'"{name}"'


def literal(value: str) -> str:
    if "\\" in value or "\x00" in value:
        raise ValueError("a literal with a backslash or NUL is refused")
    return "'" + value.replace("'", "''") + "'"


# -- the plan ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretRef:
    """Where a value lives: a Secrets Manager secret (ARN) or an SSM parameter (name)."""

    store: str
    """`secretsManager` or `parameterStore`."""
    id: str


@dataclass(frozen=True)
class Generated:
    """A value the program needs and nobody chooses: the JWT key, Keycloak's admin."""

    ref: SecretRef
    length: int = 64
    json_fields: Mapping[str, str] | None = None
    """Secrets Manager JSON: these fixed fields, plus `password` = the generated value."""
    fixed: str | None = None
    """Not generated: this value as written (e.g. a user name parameter beside its password)."""


@dataclass(frozen=True)
class Login:
    name: str
    ref: SecretRef
    database: str
    schema: str | None = None
    """The schema the login owns in `database`; None: it owns the whole database (Keycloak)."""


@dataclass(frozen=True)
class Plan:
    host: str
    port: int
    database: str
    """The instance's database (the services' schemas live there)."""
    master_secret_arn: str
    logins: tuple[Login, ...] = ()
    generated: tuple[Generated, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def own_databases(self) -> list[Login]:
        return [login for login in self.logins if login.schema is None]


def _ref(data: Mapping[str, Any]) -> SecretRef:
    return SecretRef(store=str(data["store"]), id=str(data["id"]))


def parse_plan(text: str) -> Plan:
    data = json.loads(text)
    database = data.get("database") or {}
    plan = Plan(
        host=str(database.get("host", "")),
        port=int(database.get("port", 5432)),
        database=str(database.get("name", "")),
        master_secret_arn=str(database.get("masterSecretArn", "")),
        logins=tuple(
            Login(
                name=entry["name"],
                ref=_ref(entry["secret"]),
                database=entry["database"],
                schema=entry.get("schema"),
            )
            for entry in data.get("logins", [])
        ),
        generated=tuple(
            Generated(
                ref=_ref(entry["secret"]),
                length=int(entry.get("length", 64)),
                json_fields=entry.get("jsonFields"),
                fixed=entry.get("fixed"),
            )
            for entry in data.get("generated", [])
        ),
        tags=dict(data.get("tags", {})),
    )
    for login in plan.logins:
        ident(login.name), ident(login.database)
        if login.schema is not None:
            ident(login.schema)
    if plan.logins:
        ident(plan.database)
    return plan


# -- where values live --------------------------------------------------------------------------


class Store(Protocol):
    def read(self, ref: SecretRef) -> str | None: ...
    def fill(self, ref: SecretRef, value: str, tags: Mapping[str, str]) -> bool: ...
    def replace(self, ref: SecretRef, value: str) -> Callable[[], None]: ...
    def random(self, length: int) -> str: ...


class AwsStore:
    """Secrets Manager and Parameter Store through boto3 (the task role's permissions)."""

    def __init__(self, secretsmanager: Any, ssm: Any):
        self.sm, self.ssm = secretsmanager, ssm

    def random(self, length: int) -> str:
        # Letters and digits: no quoting anywhere (JDBC URLs, shells, Keycloak's env).
        answer = self.sm.get_random_password(
            PasswordLength=length, ExcludePunctuation=True, RequireEachIncludedType=True
        )
        return str(answer["RandomPassword"])

    def read(self, ref: SecretRef) -> str | None:
        if ref.store == "parameterStore":
            try:
                found = self.ssm.get_parameter(Name=ref.id, WithDecryption=True)
            except self.ssm.exceptions.ParameterNotFound:
                return None
            return str(found["Parameter"]["Value"])
        stages = self.sm.describe_secret(SecretId=ref.id).get("VersionIdsToStages") or {}
        if not any(CURRENT in labels for labels in stages.values()):
            return None  # created by the program without a value
        answer = self.sm.get_secret_value(SecretId=ref.id, VersionStage=CURRENT)
        return str(answer["SecretString"])

    def fill(self, ref: SecretRef, value: str, tags: Mapping[str, str]) -> bool:
        """Store `value` only where none is: True when this run wrote it."""
        if ref.store == "parameterStore":
            try:
                self.ssm.put_parameter(
                    Name=ref.id,
                    Value=value,
                    Type="SecureString",
                    Tier="Standard",
                    Overwrite=False,
                    Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
                )
            except self.ssm.exceptions.ParameterAlreadyExists:
                return False
            return True
        if self.read(ref) is not None:
            return False
        # One token per secret: two runs racing write one version (the same token with another
        # value is refused, and the other run's value stays).
        token = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{ref.id}#initial"))
        try:
            self.sm.put_secret_value(SecretId=ref.id, SecretString=value, ClientRequestToken=token)
        except self.sm.exceptions.ResourceExistsException:
            return False
        return True

    def replace(self, ref: SecretRef, value: str) -> Callable[[], None]:
        """Stage a new value; returns what makes it the current one (Secrets Manager: the label
        move is the event that restarts the login's service; Parameter Store: the new version
        is current at once, its change event restarts the service)."""
        if ref.store == "parameterStore":
            self.ssm.put_parameter(Name=ref.id, Value=value, Type="SecureString", Overwrite=True)
            return lambda: None
        stages = self.sm.describe_secret(SecretId=ref.id).get("VersionIdsToStages") or {}
        current = next((v for v, labels in stages.items() if CURRENT in labels), None)
        version = self.sm.put_secret_value(
            SecretId=ref.id,
            SecretString=value,
            ClientRequestToken=str(uuid.uuid4()),
            VersionStages=[PENDING],
        )["VersionId"]

        def promote() -> None:
            self.sm.update_secret_version_stage(
                SecretId=ref.id,
                VersionStage=CURRENT,
                MoveToVersionId=version,
                **({"RemoveFromVersionId": current} if current else {}),
            )
            self.sm.update_secret_version_stage(
                SecretId=ref.id, VersionStage=PENDING, RemoveFromVersionId=version
            )

        return promote


# -- the generated secrets ---------------------------------------------------------------------


def generated_value(item: Generated, store: Store) -> str:
    if item.fixed is not None:
        return item.fixed
    value = store.random(item.length)
    if item.json_fields is not None:
        return json.dumps({**item.json_fields, "password": value}, sort_keys=True)
    return value


def fill_generated(plan: Plan, store: Store, log: Callable[[str], None] = print) -> list[str]:
    """Every empty generated secret gets a value; one that has a value keeps it."""
    written = []
    for item in plan.generated:
        if store.read(item.ref) is not None:
            log(f"kept    {item.ref.id}")
            continue
        if store.fill(item.ref, generated_value(item, store), plan.tags):
            written.append(item.ref.id)
            log(f"filled  {item.ref.id}")
    return written


def login_value(login: Login, password: str) -> str:
    """A login's secret: Secrets Manager JSON (`username`, `password`: the keys ECS's
    `valueFrom ...:password::` and RDS's own secrets use), Parameter Store the password."""
    if login.ref.store == "parameterStore":
        return password
    return json.dumps({"username": login.name, "password": password}, sort_keys=True)


def login_password(login: Login, stored: str) -> str:
    return stored if login.ref.store == "parameterStore" else str(json.loads(stored)["password"])


# -- the database ------------------------------------------------------------------------------


class Connection(Protocol):
    autocommit: bool

    def cursor(self) -> Any: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...


Connect = Callable[[str], Connection]
"""Opens a connection to a database of the instance as the master user."""


def _rows(conn: Connection, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
    cursor = conn.cursor()
    cursor.execute(sql, tuple(args))
    return list(cursor.fetchall()) if cursor.description else []


def _run(conn: Connection, statements: Iterable[str]) -> None:
    cursor = conn.cursor()
    for statement in statements:
        cursor.execute(statement)


def role_statements(login: Login, verifier: str, exists: bool) -> list[str]:
    name = ident(login.name)
    statements = [
        # Only the password and the right to log in: attributes such as NOSUPERUSER need a
        # superuser to be changed, which the RDS master user is not.
        f"ALTER ROLE {name} WITH LOGIN PASSWORD {literal(verifier)}"
        if exists
        else f"CREATE ROLE {name} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD "
        f"{literal(verifier)}",
        # The master user acts as the login to give it what it owns (CREATE SCHEMA ...
        # AUTHORIZATION and CREATE DATABASE ... OWNER require it: PostgreSQL docs).
        f"GRANT {name} TO CURRENT_USER",
    ]
    if login.schema is not None:
        statements.append(f"ALTER ROLE {name} SET search_path = {ident(login.schema)}")
    return statements


def schema_statements(plan: Plan) -> list[str]:
    """In the services' database: each login owns its schema and may connect; PUBLIC gets
    nothing (PostgreSQL grants it CONNECT and TEMP on every database, and before 15 CREATE on
    `public`; an instance upgraded from 14 keeps that grant)."""
    database = ident(plan.database)
    statements = [
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
    ]
    for login in plan.logins:
        if login.schema is None or login.database != plan.database:
            continue
        name, schema = ident(login.name), ident(login.schema)
        statements += [
            f"GRANT CONNECT ON DATABASE {database} TO {name}",
            f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {name}",
            f"ALTER SCHEMA {schema} OWNER TO {name}",
            f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC",
        ]
    return statements


OWNED_IN_PUBLIC = """
SELECT c.relkind, c.relname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
ORDER BY c.relname
"""
KIND = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
KIND["f"] = "FOREIGN TABLE"


def own_database(login: Login, connect: Connect, master_conn: Connection) -> None:
    """Keycloak's database: created for its login (or handed to it when it is the instance's
    own), closed to PUBLIC, and what the master user created in its `public` schema (realms of
    a Keycloak that ran as the master user) handed over too."""
    name, database = ident(login.name), ident(login.database)
    exists = _rows(master_conn, "SELECT 1 FROM pg_database WHERE datname = %s", [login.database])
    master_conn.commit()
    master_conn.autocommit = True  # CREATE DATABASE cannot run in a transaction block
    try:
        if not exists:
            _run(master_conn, [f"CREATE DATABASE {database} OWNER {name}"])
        _run(
            master_conn,
            [
                f"ALTER DATABASE {database} OWNER TO {name}",
                f"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
                f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {name}",
            ],
        )
    finally:
        master_conn.autocommit = False
    conn = connect(login.database)
    try:
        statements = [
            "REVOKE ALL ON SCHEMA public FROM PUBLIC",
            f"ALTER SCHEMA public OWNER TO {name}",
        ]
        for kind, relation in _rows(conn, OWNED_IN_PUBLIC):
            statements.append(f"ALTER {KIND[kind]} public.{ident(relation)} OWNER TO {name}")
        _run(conn, statements)
        conn.commit()
    finally:
        conn.close()


def reconcile_logins(
    plan: Plan,
    passwords: Mapping[str, str],
    connect: Connect,
    log: Callable[[str], None] = print,
) -> None:
    """Every login exists with the password its secret holds and owns its schema or database;
    safe to run again (each run resets what drifted)."""
    conn = connect(plan.database)
    try:
        existing = {
            row[0]
            for row in _rows(
                conn,
                "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)",
                [[login.name for login in plan.logins]],
            )
        }
        for login in plan.logins:
            verifier = scram_verifier(passwords[login.name])
            _run(conn, role_statements(login, verifier, login.name in existing))
            log(f"login   {login.name} ({'updated' if login.name in existing else 'created'})")
        _run(conn, schema_statements(plan))
        conn.commit()
        for login in plan.own_databases:
            own_database(login, connect, conn)
            log(f"database {login.database} owned by {login.name}")
    finally:
        conn.close()


def setup(plan: Plan, store: Store, connect: Connect, log: Callable[[str], None] = print) -> None:
    fill_generated(plan, store, log)
    passwords = {}
    for login in plan.logins:
        stored = store.read(login.ref)
        if stored is None:
            store.fill(login.ref, login_value(login, store.random(PASSWORD_LENGTH)), plan.tags)
            stored = store.read(login.ref)
            assert stored is not None
        passwords[login.name] = login_password(login, stored)
    if plan.logins:
        reconcile_logins(plan, passwords, connect, log)


def rotate(plan: Plan, store: Store, connect: Connect, log: Callable[[str], None] = print) -> None:
    """A new password per login: staged in its secret, set in PostgreSQL, then made current
    (the change restarts the login's service, whose new tasks read it)."""
    conn = connect(plan.database)
    try:
        for login in plan.logins:
            password = store.random(PASSWORD_LENGTH)
            promote = store.replace(login.ref, login_value(login, password))
            _run(conn, [role_statements(login, scram_verifier(password), exists=True)[0]])
            conn.commit()
            promote()
            log(f"rotated {login.name}")
    finally:
        conn.close()


# -- the task's entry point ---------------------------------------------------------------


def master_connector(plan: Plan, secretsmanager: Any) -> Connect:
    import ssl

    import pg8000.dbapi

    master = json.loads(
        secretsmanager.get_secret_value(SecretId=plan.master_secret_arn)["SecretString"]
    )
    # The server requires TLS (rds.force_ssl); like the services' sslmode=require, the channel
    # is encrypted and the server not authenticated (no CA bundle in the image).
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    def connect(database: str) -> Connection:
        return pg8000.dbapi.connect(
            user=master["username"],
            password=master["password"],
            host=plan.host,
            port=plan.port,
            database=database,
            ssl_context=context,
            timeout=30,
        )

    return connect


def main(argv: Sequence[str]) -> int:
    mode = argv[1] if len(argv) > 1 else "setup"
    if mode not in ("setup", "rotate"):
        print(f"usage: {argv[0]} setup|rotate", file=sys.stderr)
        return 2
    import boto3

    plan = parse_plan(os.environ["PLATFORM_SETUP"])
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    sm, ssm = (
        boto3.client("secretsmanager", region_name=region),
        boto3.client("ssm", region_name=region),
    )
    store = AwsStore(sm, ssm)
    connect = master_connector(plan, sm) if plan.logins else _no_database
    (setup if mode == "setup" else rotate)(plan, store, connect)
    print(f"{mode}: done")
    return 0


def _no_database(_database: str) -> Connection:
    raise RuntimeError("no database in the plan")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
