"""The KB backends the store tests run against, each real and started here:

- `embedded`: a SQLite file and a milvus-lite folder in the test's data dir (the default install);
- `postgres`: a throwaway PostgreSQL cluster (one per session, one database per test) and embedded milvus-lite;
- `milvus-uri`: SQLite and one `milvus-lite server` per session reached by URI, one collection prefix per test.

A module opts in by overriding `settings` with `backend_settings`; its tests then run once per backend. Missing
PostgreSQL binaries or psycopg fail the postgres tests with what to install: they never skip into green.
"""

from __future__ import annotations

import glob
import itertools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kb.serve import StoreServer, free_port
from kb.settings import Settings, load_settings

BACKENDS = ("embedded", "postgres", "milvus-uri")
INSTALL_HINT = (
    "install the PostgreSQL server binaries (Debian/Ubuntu: `apt-get install -y postgresql`; `make test` and "
    ".ci/run install them when missing) or point TELERUBRIC_PG_BIN at the folder holding initdb and pg_ctl"
)
# A server whose clock zone is not UTC, as many production servers are: naive timestamps would shift on it.
PG_TIMEZONE = "Asia/Kolkata"
_serial = itertools.count()


def postgres_bin_dir() -> Path | None:
    """TELERUBRIC_PG_BIN, else the newest Debian /usr/lib/postgresql/<ver>/bin, else `initdb` on PATH."""
    if os.environ.get("TELERUBRIC_PG_BIN"):
        return Path(os.environ["TELERUBRIC_PG_BIN"])
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if found:
        newest = max(found, key=lambda p: [int(n) for n in re.findall(r"\d+", Path(p).parent.parent.name)] or [0])
        return Path(newest).parent
    on_path = shutil.which("initdb")
    return Path(on_path).resolve().parent if on_path else None


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster on 127.0.0.1 with trust auth, in a temp folder removed at session end."""

    bin_dir: Path
    root: Path
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(sql)

    def create_database(self) -> str:
        name = f"kb_test_{next(_serial)}"
        self.admin(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop it even if a killed worker left a session behind (`WITH (FORCE)` would need PostgreSQL 13)."""
        self.admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        self.admin(f'DROP DATABASE IF EXISTS "{name}"')


def _as_postgres_user() -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the `postgres` OS user."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.fail("running as root and `runuser` is missing: cannot start PostgreSQL as the postgres user")
    return [runuser, "-u", "postgres", "--"]


def _start_cluster(bin_dir: Path) -> PostgresCluster:
    root = Path(tempfile.mkdtemp(prefix="telerubric-pg-"))  # short: the socket path must fit 107 bytes
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    prefix, data, port = _as_postgres_user(), root / "data", free_port()
    init = subprocess.run(
        [*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        + ["--no-locale", "--no-sync"],
        capture_output=True,
        text=True,
    )
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"initdb failed ({init.returncode}): {init.stderr.strip()}")
    options = (
        f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        f"-c timezone={PG_TIMEZONE}"
    )
    start = subprocess.run(
        [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-o", options]
        + ["-w", "-t", "60", "start"],
        capture_output=True,
        text=True,
    )
    if start.returncode != 0:
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed ({start.returncode}): {start.stderr.strip()}\n{log[-2000:]}")
    return PostgresCluster(bin_dir=bin_dir, root=root, port=port)


def _stop_cluster(cluster: PostgresCluster) -> None:
    subprocess.run(
        [*_as_postgres_user(), str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.root / "data")]
        + ["-m", "fast", "-w", "-t", "60", "stop"],
        capture_output=True,
    )
    shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL cluster for the whole run, started only when a test asks for it; fails when it cannot."""
    ci = " (CI)" if os.environ.get("CI", "").lower() in {"1", "true", "yes"} else ""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail(f"psycopg is not installed{ci}: `pip install -e '.[postgres]'` (make test installs it)")
    bin_dir = postgres_bin_dir()
    if bin_dir is None or not (bin_dir / "initdb").exists() or not (bin_dir / "pg_ctl").exists():
        pytest.fail(f"PostgreSQL binaries not found{ci}: {INSTALL_HINT}")
    cluster = _start_cluster(bin_dir)
    try:
        yield cluster
    finally:
        _stop_cluster(cluster)


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """A fresh, empty database in the session's cluster, dropped after the test."""
    name = postgres_cluster.create_database()
    try:
        yield postgres_cluster.url(name)
    finally:
        postgres_cluster.drop_database(name)


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One `milvus-lite server` on loopback for the whole run (the `kb serve` path); yields its URI."""
    server = StoreServer(load_settings(data_dir=tmp_path_factory.mktemp("milvus-server")))
    uri = server.start()
    try:
        yield uri
    finally:
        server.stop()


def collection_prefix() -> str:
    """A prefix no other test in this session uses, so tests share one Milvus server without seeing each other."""
    return f"t{next(_serial)}_"


@pytest.fixture
def milvus_prefix() -> str:
    """A collection prefix of this test's own, for settings built by hand against `milvus_server`."""
    return collection_prefix()


@pytest.fixture(params=BACKENDS)
def kb_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def backend_settings(kb_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for a fresh, empty KB on `kb_backend`; servers start on first use only."""
    data_dir = tmp_path / "kb"
    if kb_backend == "postgres":
        return load_settings(data_dir=data_dir, sql_url=request.getfixturevalue("postgres_url"))
    if kb_backend == "milvus-uri":
        uri = request.getfixturevalue("milvus_server")
        return load_settings(data_dir=data_dir, milvus_uri=uri, collection_prefix=collection_prefix())
    return load_settings(data_dir=data_dir)


@pytest.fixture
def settings_env(settings: Settings) -> dict[str, str]:
    """Environment variables that make a `telerubric` subprocess open the same KB as the test's `settings`."""
    env = {"TELERUBRIC_DATA_DIR": str(settings.data_dir)}
    if settings.sql_url:
        env["TELERUBRIC_SQL_URL"] = settings.sql_url
    if settings.milvus_uri:
        env["TELERUBRIC_MILVUS_URI"] = settings.milvus_uri
    if settings.collection_prefix:
        env["TELERUBRIC_COLLECTION_PREFIX"] = settings.collection_prefix
    return env
