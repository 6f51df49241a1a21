"""Open pixel and click redirect under load, against a bare Flask endpoint (issue 4).

    .venv/bin/python -m bench.tracking_load [--seconds 10 --connections 50 --messages 1000
                                             --drain-interval 2]

gunicorn servers with the same settings (2 sync workers, loopback, no access log), each
driven by wrk for the same time at the same concurrency, one after the other: a bare
Flask app answering the 1×1 GIF, then nurture's `/o/<token>.gif` and `/c/<token>` on
PostgreSQL + Redis, with hits buffered in the local spool (the default) and then in the
Redis stream. The drainer thread of each web process runs as in production: it drains
in the gaps, so during a burst shorter than its 30 s limit the buffer absorbs the hits.
wrk asks for a random message's link each time. After each run the servers stop, the
rest of the buffer is flushed (timed: the drain throughput), and the events are counted
against the responses wrk saw.

On a shared machine req/s moves with the neighbours' load; the CPU time the gunicorn
workers spent per request is the steadier figure, and is printed too.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from sqlalchemy import func, select

from bench import bare_pixel
from bench.common import (
    REDIS_URL,
    REPO,
    apt_install,
    free_port,
    fresh_database,
    nurture_env,
    redis_namespace,
)
from bench.dataset import project_folder
from nurture.config import load_settings
from nurture.consent.ledger import Proof, append
from nurture.db import unit_of_work
from nurture.models import Event, Lead, Message, TrackingHit
from nurture.runtime import Runtime
from nurture.tracking.links import MessageRef
from nurture.web import tracking

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
WRK_SCRIPT = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
wrk.headers["User-Agent"] = "%(agent)s"
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


@dataclass
class Load:
    requests: int
    per_second: float
    p99_ms: float
    errors: int
    cpu_us: float = 0.0  # CPU time of the gunicorn workers per request: robust to other load


def workers_cpu_seconds(master: int) -> float:
    """User + system CPU of the master's live children (the gunicorn workers)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ticks = 0
    for child in children:
        fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def seed(rt: Runtime, count: int) -> tuple[list[str], list[str]]:
    """`count` tracked leads, each sent one message an hour ago: (pixel paths, click paths)."""
    sent = datetime.now(UTC) - timedelta(hours=1)
    pixels, clicks = [], []
    links = rt.tracking.links
    with unit_of_work(rt.sessions) as session:
        for number in range(count):
            lead = Lead(email=f"lead{number}@example.com")
            session.add(lead)
            session.flush()
            proof = Proof(source="import", proof="benchmark")
            append(session, lead, "tracking", "granted", proof, sent - timedelta(days=1))
            row = Message(
                lead_id=lead.id,
                campaign_id="bench",
                step_id="hello",
                status="sent",
                tracked=True,
                sent_at=sent,
            )
            session.add(row)
            session.flush()
            ref = MessageRef(row.public_id)
            pixels.append(links.pixel(ref).removeprefix(links.base_url))
            url = f"https://acme.example/offer/{number}?utm_source=mail"
            clicks.append(links.click(ref, url).removeprefix(links.base_url))
    return pixels, clicks


def serve(app: str, env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", app,
        "--workers", "2", "--bind", f"127.0.0.1:{port}",
        "--pythonpath", str(REPO), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env, cwd=cwd)  # cwd: no gunicorn.conf.py there
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/o/x.gif"], check=False
        )
        if probe.returncode == 0:
            return server, port
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"gunicorn {app} did not start")


def drive(wrk: str, port: int, paths: list[str], seconds: int, connections: int, tmp: Path) -> Load:
    listing = tmp / f"paths-{port}.txt"
    listing.write_text("\n".join(paths) + "\n")
    script = tmp / f"wrk-{port}.lua"
    script.write_text(WRK_SCRIPT % {"paths": listing, "agent": CHROME})
    output = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return parse_wrk(output)


def parse_wrk(output: str) -> Load:
    total = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    if not (total and rate and p99):
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    if socket_errors:
        print(f"    wrk socket errors: {socket_errors.group(1)}")
    return Load(
        int(total.group(1)),
        float(rate.group(1)),
        float(p99.group(1)) * scale,
        int(errors.group(1)) if errors else 0,
    )


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()


def hit_ids(rt: Runtime) -> int:
    with unit_of_work(rt.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(TrackingHit)) or 0)


def engagement_events(rt: Runtime) -> int:
    kinds = ["email_opened", "email_clicked"]
    with unit_of_work(rt.sessions) as session:
        query = select(func.count()).select_from(Event).where(Event.type.in_(kinds))
        return int(session.scalar(query) or 0)


def describe(name: str, load: Load, bare: Load | None) -> str:
    line = (
        f"{name:<22} {load.per_second:>8.0f} req/s   p99 {load.p99_ms:>6.1f} ms   "
        f"{load.cpu_us:>5.0f} µs CPU/request"
    )
    if load.errors:
        line += f"   {load.errors} error responses"
    if bare is not None and bare is not load:
        line += (
            f"   {load.per_second / bare.per_second:>4.0%} of bare's req/s, "
            f"{bare.cpu_us / load.cpu_us:>4.0%} of its requests per CPU second"
        )
    return line


SCENARIOS = (  # name, WSGI app, links, NURTURE_TRACKING_BUFFER
    ("bare Flask GIF", "bench.bare_pixel:app", "pixels", ""),
    ("open pixel, spool", "wsgi:app", "pixels", "spool"),
    ("click, spool", "wsgi:app", "clicks", "spool"),
    ("open pixel, Redis", "wsgi:app", "pixels", "redis"),
    ("click, Redis", "wsgi:app", "clicks", "redis"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument(
        "--drain-interval",
        default="2",
        help="NURTURE_TRACKING_DRAIN_INTERVAL of the web processes (0: no drainer thread; "
        "everything is drained by the flush after each run)",
    )
    args = parser.parse_args()
    assert bare_pixel.GIF == tracking.GIF, "the baseline must answer the same bytes"
    wrk = apt_install("wrk", "wrk")
    with (
        fresh_database("tracking") as db_url,
        redis_namespace("tracking") as namespace,
        tempfile.TemporaryDirectory() as tmp_name,
    ):
        tmp = project_folder(Path(tmp_name))
        env = nurture_env(db_url, namespace, "smtp://127.0.0.1:9", tmp)
        env["NURTURE_TRACKING_DRAIN_INTERVAL"] = args.drain_interval
        rt = Runtime(load_settings(env, cwd=tmp))
        links = dict(zip(("pixels", "clicks"), seed(rt, args.messages), strict=True))
        print(
            f"gunicorn 2 sync workers, wrk {args.connections} connections for {args.seconds} s, "
            f"loopback; PostgreSQL + Redis; {args.messages} messages; {os.cpu_count()} CPUs; "
            f"drainer thread every {args.drain_interval} s (0: none); "
            f"load average before: {os.getloadavg()[0]:.1f}"
        )
        runs: dict[str, Load] = {}
        for name, app, paths, buffer in SCENARIOS:
            recorded_before = hit_ids(rt)
            server, port = serve(app, {**env, "NURTURE_TRACKING_BUFFER": buffer}, tmp)
            try:
                time.sleep(1.0)
                before = workers_cpu_seconds(server.pid)
                load = drive(wrk, port, links[paths], args.seconds, args.connections, tmp)
                load.cpu_us = (workers_cpu_seconds(server.pid) - before) / load.requests * 1e6
            finally:
                stop(server)
            runs[name] = load
            print(describe(name, load, runs["bare Flask GIF"]), flush=True)
            if buffer:
                started = time.monotonic()
                flushed = rt.tracking.drainer.drain()
                took = time.monotonic() - started
                rate = f", {flushed.read / took:.0f} hits/s" if flushed.read else ""
                print(
                    f"    {hit_ids(rt) - recorded_before} hits recorded for {load.requests} "
                    f"responses ({flushed.read} by the flush after the run{rate})"
                )
        recorded, distinct = engagement_events(rt), hit_ids(rt)
        answered = sum(load.requests for name, load in runs.items() if name != "bare Flask GIF")
        in_flight = args.connections * (len(SCENARIOS) - 1)
        left = redis.Redis.from_url(REDIS_URL).xlen(f"{namespace}:tracking:hits") + len(
            list(rt.tracking.spool.directory.glob("hits-*.jsonl"))
        )
        print(
            f"events recorded {recorded}, distinct hit ids {distinct}, buffers left {left}; "
            f"responses wrk read {answered} (plus at most {in_flight} requests in flight when "
            "wrk stopped: answered by the server, never read by wrk)"
        )
        complete = recorded == distinct and answered <= recorded <= answered + in_flight
        print(f"every hit recorded exactly once: {'yes' if complete and not left else 'NO'}")
        rt.close()


if __name__ == "__main__":
    main()
