"""The platform setup task's script (images/platform-setup/platform_setup.py) against a real
PostgreSQL server (tests/postgres_server.py) and against Secrets Manager and Parameter Store
(moto): each service's login reaches its own schema and nothing else, Keycloak's database is
its own, generated values are filled once and never overwritten, rotation changes what the
server accepts."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.postgres_server import SUPERUSER, SUPERUSER_PASSWORD, binaries, postgres_server

IMAGE = ROOT / "images" / "platform-setup"


def _load():
    spec = importlib.util.spec_from_file_location("platform_setup", IMAGE / "platform_setup.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["platform_setup"] = module
    spec.loader.exec_module(module)
    return module


setup_script = _load()
MASTER, MASTER_PASSWORD, APP_DB = "aw_admin", "master-password-for-tests", "accessweaver"
SERVICES = ("aw_pap_service", "aw_pdp_service")


class MemoryStore:
    """Secrets Manager and Parameter Store as a dict, with the same fill/replace contract."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.pending: dict[str, str] = {}
        self.counter = 0

    def random(self, length: int) -> str:
        self.counter += 1
        return hashlib.sha256(f"r{self.counter}".encode()).hexdigest()[:length]

    def read(self, ref):
        return self.values.get(ref.id)

    def fill(self, ref, value, tags):
        if ref.id in self.values:
            return False
        self.values[ref.id] = value
        return True

    def replace(self, ref, value):
        self.pending[ref.id] = value

        def promote():
            self.values[ref.id] = self.pending.pop(ref.id)

        return promote


def _plan(store: str = "secretsManager"):
    def ref(name):
        return {"store": store, "id": f"arn:aws:secretsmanager:eu-west-1:1:secret:aw/db/{name}"}

    logins = [
        {"name": name, "secret": ref(name), "database": APP_DB, "schema": name} for name in SERVICES
    ]
    logins.append({"name": "keycloak", "secret": ref("keycloak"), "database": "keycloak"})
    return setup_script.parse_plan(
        json.dumps(
            {
                "database": {
                    "host": "unused",
                    "port": 5433,
                    "name": APP_DB,
                    "masterSecretArn": "arn:aws:secretsmanager:eu-west-1:1:secret:rds!db-1",
                },
                "logins": logins,
                "generated": [{"secret": ref("jwt"), "length": 64}],
                "tags": {"Project": "accessweaver"},
            }
        )
    )


@pytest.fixture(scope="module")
def server():
    if binaries() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install PostgreSQL (.ci/run: apt-get install -y postgresql)")
        pytest.skip("no PostgreSQL server here (apt-get install -y postgresql)")
    # One server per pytest-xdist worker, on a port of its own.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    with postgres_server(port=5439 + int(worker or 0)) as running:
        # The RDS master user: CREATEROLE and CREATEDB, not a superuser; it owns the database
        # RDS creates with the instance (`db_name`).
        admin = running.connect(SUPERUSER, SUPERUSER_PASSWORD, "postgres")
        admin.autocommit = True
        cursor = admin.cursor()
        cursor.execute(
            f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '{MASTER_PASSWORD}'"
        )
        cursor.execute(f"CREATE DATABASE {APP_DB} OWNER {MASTER}")
        admin.close()
        yield running


@pytest.fixture()
def deployed(server):
    """The setup as a deploy runs it, twice (the second deploy must change nothing it needs);
    each test starts from it (a setup resets what an earlier test rotated)."""
    store, plan = MemoryStore(), _plan()

    def connect(database):
        return server.connect(MASTER, MASTER_PASSWORD, database)

    setup_script.setup(plan, store, connect, log=lambda _: None)
    setup_script.setup(plan, store, connect, log=lambda _: None)
    return store, plan, connect


def _password(store, plan, login):
    ref = next(item.ref for item in plan.logins if item.name == login)
    return json.loads(store.values[ref.id])["password"]


def _as(server, store, plan, login, database=APP_DB):
    conn = server.connect(login, _password(store, plan, login), database)
    conn.autocommit = True
    return conn


def _connection_refused(connect, reason: str) -> None:
    """A connection the server refuses; pg8000 may report the server's FATAL message as the
    cause of a broken pipe when it closes the socket after it."""
    import pg8000.dbapi

    with pytest.raises(pg8000.dbapi.Error) as caught:
        connect()
    messages, error = [], caught.value
    while error is not None:
        messages.append(str(error))
        error = error.__cause__ or error.__context__
    assert any(reason in message for message in messages), messages


def _denied(conn, sql):
    import pg8000.dbapi

    with pytest.raises(pg8000.dbapi.DatabaseError) as caught:
        conn.cursor().execute(sql)
    return str(caught.value)


def test_each_login_uses_its_own_schema_and_cannot_read_write_or_drop_another(server, deployed):
    store, plan, _ = deployed
    pap, pdp = (_as(server, store, plan, name) for name in SERVICES)
    for conn, name in ((pap, "aw_pap_service"), (pdp, "aw_pdp_service")):
        cursor = conn.cursor()
        # unqualified names land in the login's own schema (its search_path)
        cursor.execute("CREATE TABLE IF NOT EXISTS policies (id int primary key, body text)")
        cursor.execute("INSERT INTO policies VALUES (1, 'x') ON CONFLICT DO NOTHING")
        cursor.execute("SELECT schemaname FROM pg_tables WHERE tablename = 'policies'")
        assert (name,) in [tuple(row) for row in cursor.fetchall()]
    for statement in (
        "SELECT * FROM aw_pdp_service.policies",
        "INSERT INTO aw_pdp_service.policies VALUES (2, 'y')",
        "DELETE FROM aw_pdp_service.policies",
        "DROP TABLE aw_pdp_service.policies",
        "CREATE TABLE aw_pdp_service.intruder (id int)",
        "DROP SCHEMA aw_pdp_service CASCADE",
        "CREATE TABLE public.shared (id int)",
    ):
        assert re.search(r"permission denied|must be owner", _denied(pap, statement)), statement
    # the other's table is intact
    cursor = pdp.cursor()
    cursor.execute("SELECT count(*) FROM policies")
    assert cursor.fetchone()[0] == 1
    pap.close(), pdp.close()


def test_no_service_login_connects_to_keycloaks_database_nor_keycloak_to_theirs(server, deployed):
    store, plan, _ = deployed
    for login in SERVICES:
        _connection_refused(
            lambda login=login: _as(server, store, plan, login, database="keycloak"),
            "permission denied for database",
        )
    _connection_refused(
        lambda: _as(server, store, plan, "keycloak", database=APP_DB),
        "permission denied for database",
    )
    # Keycloak owns its database: it creates its tables in `public` as it does at first start
    keycloak = _as(server, store, plan, "keycloak", database="keycloak")
    keycloak.cursor().execute("CREATE TABLE IF NOT EXISTS realm (id varchar(36) primary key)")
    keycloak.close()


def test_logins_are_plain_logins_whose_passwords_the_server_holds_as_verifiers(server, deployed):
    admin = server.connect(SUPERUSER, SUPERUSER_PASSWORD, "postgres")
    cursor = admin.cursor()
    cursor.execute(
        "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolpassword FROM pg_authid "
        "WHERE rolname = ANY(%s)",
        [[*SERVICES, "keycloak"]],
    )
    rows = cursor.fetchall()
    admin.close()
    assert len(rows) == 3
    for name, superuser, createrole, createdb, verifier in rows:
        assert (superuser, createrole, createdb) == (False, False, False), name
        assert verifier.startswith("SCRAM-SHA-256$4096:"), name


def test_a_second_setup_keeps_every_password_and_a_rotation_changes_each(server, deployed):
    store, plan, connect = deployed
    before = dict(store.values)
    setup_script.setup(plan, store, connect, log=lambda _: None)
    assert store.values == before  # filled once, never overwritten
    old = _password(store, plan, "aw_pap_service")
    setup_script.rotate(plan, store, connect, log=lambda _: None)
    new = _password(store, plan, "aw_pap_service")
    assert new != old and store.pending == {}
    _connection_refused(
        lambda: server.connect("aw_pap_service", old, APP_DB), "password authentication failed"
    )
    for login in (*SERVICES, "keycloak"):
        database = "keycloak" if login == "keycloak" else APP_DB
        _as(server, store, plan, login, database).close()


def test_a_keycloak_that_ran_as_the_master_user_hands_its_tables_to_its_login(server):
    """CA-A2A's case: Keycloak's database is the instance's own, its realms created by the
    master user; the setup gives the database and its tables to Keycloak's login."""
    admin = server.connect(SUPERUSER, SUPERUSER_PASSWORD, "postgres")
    admin.autocommit = True
    admin.cursor().execute("DROP DATABASE IF EXISTS legacy_kc")
    admin.cursor().execute(f"CREATE DATABASE legacy_kc OWNER {MASTER}")
    admin.close()
    master = server.connect(MASTER, MASTER_PASSWORD, "legacy_kc")
    master.cursor().execute("CREATE TABLE realm (id serial primary key, name text)")
    master.commit()
    master.close()
    store = MemoryStore()
    plan = setup_script.parse_plan(
        json.dumps(
            {
                "database": {"host": "x", "port": 1, "name": "legacy_kc", "masterSecretArn": "a"},
                "logins": [
                    {
                        "name": "kc_legacy",
                        "secret": {"store": "parameterStore", "id": "/p/kc"},
                        "database": "legacy_kc",
                    }
                ],
            }
        )
    )
    setup_script.setup(
        plan,
        store,
        lambda database: server.connect(MASTER, MASTER_PASSWORD, database),
        log=lambda _: None,
    )
    keycloak = server.connect("kc_legacy", store.values["/p/kc"], "legacy_kc")
    cursor = keycloak.cursor()
    cursor.execute("INSERT INTO realm (name) VALUES ('master') RETURNING id")
    assert cursor.fetchone()[0] == 1
    keycloak.commit()
    keycloak.close()


# -- pure parts ----------------------------------------------------------------------------


def test_the_scram_verifier_is_rfc_7677s():
    """RFC 7677's test vector: user `user`, password `pencil`, salt and 4096 iterations."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = setup_script.scram_verifier("pencil", salt=salt)
    _, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    stored, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac("sha256", b"pencil", salt, 4096)
    assert iterations_salt == "4096:W22ZaJ0SNY7soEsUEjb6gQ=="
    assert base64.b64decode(server_key) == hmac.new(salted, b"Server Key", "sha256").digest()
    assert len(base64.b64decode(stored)) == 32


@pytest.mark.parametrize("name", ["Robert'); DROP", "a-b", "x" * 64, ""])
def test_a_name_the_program_would_not_give_is_refused_not_escaped(name):
    with pytest.raises(ValueError):
        setup_script.ident(name)


# -- the stores, against moto ------------------------------------------------------------------


@pytest.fixture()
def aws(monkeypatch):
    import boto3
    from moto import mock_aws

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        sm = boto3.client("secretsmanager", region_name="eu-west-1")
        ssm = boto3.client("ssm", region_name="eu-west-1")
        yield sm, ssm, setup_script.AwsStore(sm, ssm)


def test_an_empty_secret_is_filled_once_and_a_parameter_created_once(aws):
    sm, ssm, store = aws
    arn = sm.create_secret(Name="accessweaver/prod/jwt-signing-key")["ARN"]  # no value
    plan = setup_script.Plan(
        host="",
        port=0,
        database="",
        master_secret_arn="",
        generated=(
            setup_script.Generated(setup_script.SecretRef("secretsManager", arn), length=64),
            setup_script.Generated(
                setup_script.SecretRef("secretsManager", arn.replace("jwt", "kc")), length=32
            ),
            setup_script.Generated(
                setup_script.SecretRef("parameterStore", "/accessweaver/dev/jwt-signing-key")
            ),
        ),
        tags={"Project": "accessweaver"},
    )
    sm.create_secret(Name="accessweaver/prod/kc-signing-key", SecretString="kept")
    plan = dataclasses.replace(
        plan,
        generated=(
            plan.generated[0],
            setup_script.Generated(
                setup_script.SecretRef("secretsManager", "accessweaver/prod/kc-signing-key")
            ),
            plan.generated[2],
        ),
    )
    written = setup_script.fill_generated(plan, store, log=lambda _: None)
    assert written == [arn, "/accessweaver/dev/jwt-signing-key"]
    value = sm.get_secret_value(SecretId=arn)["SecretString"]
    assert len(value) == 64 and value.isalnum()
    assert sm.get_secret_value(SecretId="accessweaver/prod/kc-signing-key")["SecretString"] == (
        "kept"
    )
    parameter = ssm.get_parameter(Name="/accessweaver/dev/jwt-signing-key", WithDecryption=True)
    assert parameter["Parameter"]["Type"] == "SecureString"
    # a second run writes nothing
    assert setup_script.fill_generated(plan, store, log=lambda _: None) == []
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == value


def test_replacing_a_login_secret_stages_it_and_moves_awscurrent_on_promotion(aws):
    sm, _, store = aws
    ref = setup_script.SecretRef(
        "secretsManager", sm.create_secret(Name="accessweaver/prod/database/x")["ARN"]
    )
    store.fill(ref, json.dumps({"username": "x", "password": "old"}), {})
    promote = store.replace(ref, json.dumps({"username": "x", "password": "new"}))
    assert json.loads(store.read(ref))["password"] == "old"  # staged, not current
    promote()
    assert json.loads(store.read(ref))["password"] == "new"
    stages = sm.describe_secret(SecretId=ref.id)["VersionIdsToStages"]
    assert sorted(label for labels in stages.values() for label in labels) == [
        "AWSCURRENT",
        "AWSPREVIOUS",
    ]


def test_the_image_installs_the_tested_driver_by_hash():
    lock = (IMAGE / "requirements.txt").read_text()
    pins = dict(re.findall(r"^([a-z0-9-]+)==([^ \\\n]+)", lock, flags=re.M))
    ours = dict(
        re.findall(
            r"^([a-z0-9-]+)==([^ \\\n]+)", (ROOT / "requirements.lock").read_text(), flags=re.M
        )
    )
    for package in ("pg8000", "scramp", "boto3", "botocore"):
        assert pins[package] == ours[package], package
    assert all(
        line.strip().startswith("--hash=sha256:")
        for line in lock.splitlines()
        if line.startswith("    --hash")
    )
    assert lock.count("--hash=sha256:") >= len(pins)
    dockerfile = (IMAGE / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "USER 1000" in dockerfile
    assert Path(IMAGE / "requirements.in").read_text().count("==") == 3
