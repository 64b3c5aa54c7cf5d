"""A throwaway PostgreSQL server for the tests, from Debian's binaries (package postgresql).

`initdb` refuses to run as root, so as root the server runs as the `postgres` account
(made by Debian's package) or `nobody`. It listens on a Unix socket in its own temporary
folder only, never on a TCP port, so several test processes (pytest -n 2) each start their
own without colliding. Durability is switched off: a test database is thrown away anyway.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

SKIP_REASON = ("PostgreSQL tests skipped: no server binaries found; "
               "install Debian's postgresql")
SUPERUSER = "kb"


def find_binaries() -> Path | None:
    """The folder of initdb/pg_ctl: Debian keeps them under /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parent.parent.name)
                   if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).resolve().parent if on_path else None


class PostgresServer:
    """One server in a temporary folder; `url(name)` addresses one of its databases."""

    def __init__(self, binaries: Path):
        self.binaries = binaries
        # short, under /tmp: a socket path must stay under about 100 characters
        self.root = Path(tempfile.mkdtemp(prefix="kbpg-", dir="/tmp"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.account = None
        if os.geteuid() == 0:
            self.account = "postgres" if _exists("postgres") else "nobody"
            os.chmod(self.root, 0o755)
            shutil.chown(self.root, self.account)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.binaries / args[0]), *args[1:]]
        if self.account:
            command = ["runuser", "-u", self.account, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\nlisten_addresses = ''\n"
                       f"unix_socket_directories = '{self.root}'\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                       "max_connections = 300\n")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def start(self) -> None:
        if self.running():
            return
        result = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w",
                           "-t", "60", "start", check=False)
        if result.returncode:
            raise RuntimeError(f"PostgreSQL did not start: {result.stderr}\n"
                               f"{self.log.read_text() if self.log.exists() else ''}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={self.root}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=str(self.root), user=SUPERUSER, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self, template: str | None = None, prefix: str = "kb") -> str:
        """A new, empty database (or a copy of template); returns its name."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        if template:
            # a copy needs the template to itself: end what an app left connected to it
            # (a background thread that outlived its app)
            self._admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        f"WHERE datname = '{template}' AND pid <> pg_backend_pid()")
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _exists(account: str) -> bool:
    try:
        pwd.getpwnam(account)
        return True
    except KeyError:
        return False
