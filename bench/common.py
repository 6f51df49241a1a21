"""Shared set-up for the benchmarks: a throw-away PostgreSQL database, Redis, an SMTP sink.

Benchmarks print figures; they are not part of the test run. Each creates its own
database and Redis namespace and removes them afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis

from nurture.migrate import upgrade

PG_ADMIN = os.environ.get("NURTURE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NURTURE_BENCH_REDIS", "redis://127.0.0.1:6379/0")
REPO = Path(__file__).resolve().parent.parent


def apt_install(package: str, binary: str) -> str:
    found = shutil.which(binary) or (binary if Path(binary).exists() else None)
    if found:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", package], check=True, env=env)
    return shutil.which(binary) or binary


@contextmanager
def fresh_database(label: str) -> Iterator[str]:
    name = f"nurture_bench_{label}_{secrets.token_hex(3)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    try:
        upgrade(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def psycopg_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def redis_namespace(label: str) -> Iterator[str]:
    namespace = f"nurture-bench-{label}-{secrets.token_hex(3)}"
    try:
        yield namespace
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{namespace}*", count=1000):
            client.delete(key)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def smtp_sink() -> Iterator[str]:
    """Postfix's smtp-sink: accepts everything, far faster than a Python SMTP server."""
    binary = apt_install("postfix", "/usr/sbin/smtp-sink")
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    process = subprocess.Popen([binary, *user, f"127.0.0.1:{port}", "1000"])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"smtp://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(5)


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its descendants (KiB), read from /proc."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        pending.extend(int(child) for child in children)
    return total


def nurture_env(database_url: str, namespace: str, smtp_url: str, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NURTURE_DATABASE_URL": database_url,
        "NURTURE_REDIS_URL": REDIS_URL,
        "NURTURE_REDIS_NAMESPACE": namespace,
        "NURTURE_SMTP_URL": smtp_url,
        "NURTURE_SECRET_KEYS": "bench-key",
        "NURTURE_SUPPRESSION_KEY": "bench-suppression-key",
        "NURTURE_POSTAL_ADDRESS": "Bench Ltd, 1 Bench Street, Madrid",
        "NURTURE_CAMPAIGNS_DIR": str(workdir / "campaigns"),
        "NURTURE_TEMPLATES_DIR": str(workdir / "templates"),
        "NURTURE_BASE_URL": "https://bench.example",
        "NURTURE_INSTANCE_DIR": str(workdir / "instance"),
    }
