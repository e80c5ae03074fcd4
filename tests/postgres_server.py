"""A throwaway PostgreSQL server for tests: Debian's `postgresql` package (installed by .ci/run
on CI), a cluster in a temporary folder listening on a Unix socket only, with password (SCRAM)
authentication, stopped and removed at the end. Run as root (CI), the server runs as the
`postgres` user the package creates, since PostgreSQL refuses to run as root."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "postgres"
SUPERUSER_PASSWORD = "superuser-password-for-tests"


def binaries() -> Path | None:
    """The newest installed server's bin folder (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3])
    )
    return Path(found[-1]).parent if found else None


@dataclass(frozen=True)
class Server:
    socket_dir: str
    port: int

    def connect(self, user: str, password: str, database: str):
        import pg8000.dbapi

        return pg8000.dbapi.connect(
            user=user,
            password=password,
            database=database,
            unix_sock=f"{self.socket_dir}/.s.PGSQL.{self.port}",
        )


@contextmanager
def postgres_server(port: int = 5439) -> Iterator[Server]:
    bindir = binaries()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL server: apt-get install -y postgresql")
    root = tempfile.mkdtemp(prefix="pg-", dir="/tmp")
    data, sockets = f"{root}/data", f"{root}/run"
    os.makedirs(sockets)
    prefix: list[str] = []
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        for path in (root, sockets):
            os.chown(path, account.pw_uid, account.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    password_file = f"{root}/pw"
    with open(password_file, "w") as handle:
        handle.write(SUPERUSER_PASSWORD)
    if prefix:
        os.chown(password_file, pwd.getpwnam("postgres").pw_uid, -1)

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True)

    try:
        run(
            str(bindir / "initdb"),
            "-D",
            data,
            "-U",
            SUPERUSER,
            "--pwfile",
            password_file,
            "--auth=scram-sha-256",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        )
        options = f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off"
        run(str(bindir / "pg_ctl"), "-D", data, "-o", options, "-w", "-l", f"{root}/log", "start")
        try:
            yield Server(sockets, port)
        finally:
            run(str(bindir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)
