"""Session lifetimes under load: the app's memory and disk before, during and after 100 sessions
of clients that never send a heartbeat (scripts talking raw HTTP to the app).

    .venv/bin/python -m benchmarks.bench_sessions                   # 100 sessions, lifetime 0.5 min
    .venv/bin/python -m benchmarks.bench_sessions --compare         # also a baseline app without lifetimes
    .venv/bin/python -m benchmarks.bench_sessions --sessions 20 --idle-minutes 0.25

It starts `python app.py --model mesa-tiny` (the real bundled model and pipeline, no stub) on a
free port of 127.0.0.1 with its own TMPDIR, then runs a fixed number of sessions through a small
pool of clients. Each session does what the page does on a first visit, over plain HTTP:
open_session (page load), arm_run + generate (`--seeds` seeds, `--steps` steps, 128 px), and the
export of the first result (GLB, OBJ, heightmaps, sidecar, bundle) - then it leaves without a
heartbeat. The server's RSS is sampled throughout; "after" is read once the idle limit (shortened
by `--idle-minutes`, passed to the app's `--session-idle-minutes`) and two sweep intervals have
passed. With `--compare`, the same load first runs against an app whose lifetime is a week (what
the app did before sessions had one), as the baseline in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"  # never anything else: the benchmark loads only a server it started itself
PROMPT_PARTS = {"biome": "montane forests", "landform": "mountains", "country": "Mexico", "month": "August"}
MB = 1024**2
NO_LIFETIME_MINUTES = 7 * 24 * 60.0


@dataclass
class Figures:
    """What one app run measured: RSS in MB, session folders and bytes on disk, outcomes."""

    label: str
    rss_before_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_end_of_load_mb: float = 0.0
    rss_after_mb: float = 0.0
    folders_end_of_load: int = 0
    folders_after: int = 0
    disk_end_of_load_mb: float = 0.0
    disk_after_mb: float = 0.0
    gradio_cache_after_mb: float = 0.0
    app_tracebacks: int = 0
    load_seconds: float = 0.0
    done: int = 0
    failed: list[str] = field(default_factory=list)


class App:
    """`python app.py` started on a free local port with its own TMPDIR; RSS sampled in a thread."""

    def __init__(self, args: argparse.Namespace, idle_minutes: float, temp_dir: Path):
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self.temp_dir = temp_dir
        self.log = (temp_dir / "app.log").open("w")
        env = {**os.environ, "TMPDIR": str(temp_dir), "GRADIO_ANALYTICS_ENABLED": "False", "OMP_NUM_THREADS": "1"}
        env.pop("GRADIO_TEMP_DIR", None)
        command = [sys.executable, "app.py", "--model", args.model, "--host", HOST, "--port", str(self.port),
                   "--threads", "1", "--session-idle-minutes", str(idle_minutes),
                   "--max-sessions", str(args.sessions + 1 if idle_minutes < NO_LIFETIME_MINUTES else 10_000)]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.samples_mb: list[float] = []
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def wait_until_up(self, timeout_s: float = 300) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"app.py exited with {self.process.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    self._sampler.start()
                    return
            except OSError:
                time.sleep(0.5)
        raise SystemExit(f"app.py did not answer within {timeout_s} s; see {self.log.name}")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def steady_rss_mb(self, seconds: float = 3.0) -> float:
        """Median RSS over a few seconds (the sweep and the allocator settle)."""
        readings = []
        for _ in range(int(seconds / 0.5)):
            readings.append(self.rss_mb())
            time.sleep(0.5)
        return statistics.median(readings)

    def workspace(self) -> Path | None:
        return next(iter(self.temp_dir.glob("mesa-studio-*")), None)

    def disk(self) -> tuple[int, float, float]:
        """(session folders, MB under the app's folder, MB of it in Gradio's cached copies)."""
        root = self.workspace()
        if root is None:
            return 0, 0.0, 0.0
        folders = len(list((root / "sessions").glob("session-*")))
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        cache = sum(p.stat().st_size for p in (root / "gradio").rglob("*") if p.is_file())
        return folders, size / MB, cache / MB

    def stop(self) -> int:
        self._stop.set()
        self.process.terminate()
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.log.close()
        return code

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            try:
                self.samples_mb.append(self.rss_mb())
            except OSError:
                return


class Client:
    """One session of a script that talks raw HTTP to the Gradio app and never sends a heartbeat."""

    def __init__(self, url: str, config: dict):
        self.url = url
        self.session_hash = secrets.token_hex(6)
        self.components = {c["id"]: c for c in config["components"]}
        self.dependencies = {d["api_name"]: d for d in config["dependencies"] if d.get("api_name")}

    def call(self, api_name: str, overrides: dict | None = None) -> list:
        """Run one event with the page's default values (by elem_id, `overrides` replaced)."""
        dependency = self.dependencies[api_name]
        data = [self._value(i, overrides or {}) for i in dependency["inputs"]]
        body = {"data": data, "fn_index": dependency["id"], "session_hash": self.session_hash,
                "trigger_id": None, "event_data": None}
        if not dependency.get("queue", True):
            return self._post("/gradio_api/run/predict", body)["data"]
        event_id = self._post("/gradio_api/queue/join", body)["event_id"]
        return self._wait(event_id)

    def _value(self, component_id: int, overrides: dict):
        props = self.components[component_id].get("props", {})
        if self.components[component_id]["type"] == "state":
            return None
        return overrides.get(props.get("elem_id"), props.get("value"))

    def _post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            return json.loads(response.read())

    def _wait(self, event_id: str) -> list:
        url = f"{self.url}/gradio_api/queue/data?session_hash={self.session_hash}"
        with urllib.request.urlopen(url, timeout=600) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    if not message.get("success"):
                        raise RuntimeError(f"event failed: {message.get('output')}")
                    return message["output"]["data"]
        raise RuntimeError(f"the stream ended before event {event_id} completed")


def one_session(url: str, config: dict, index: int, args: argparse.Namespace) -> str:
    """Page load, one run and the export of its first result; returns the run's status line."""
    client = Client(url, config)
    client.call("open_session")
    client.call("arm_run")
    overrides = {**PROMPT_PARTS, "seed": index, "num-seeds": args.seeds, "steps": args.steps}
    status = client.call("generate", overrides)[1]
    if not str(status).startswith("Done"):
        return str(status)
    client.call("export", {"engine": "none"})
    return str(status)


def measure(args: argparse.Namespace, label: str, idle_minutes: float) -> Figures:
    temp_dir = Path(tempfile.mkdtemp(prefix="bench-sessions-"))
    figures = Figures(label)
    app = App(args, idle_minutes, temp_dir)
    try:
        app.wait_until_up()
        with urllib.request.urlopen(app.url + "/config", timeout=30) as response:
            config = json.loads(response.read())
        one_session(app.url, config, 0, args)  # warm-up: first run and export allocate for good
        figures.rss_before_mb = app.steady_rss_mb()
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            futures = [pool.submit(one_session, app.url, config, index + 1, args) for index in range(args.sessions)]
            for future in futures:
                try:
                    status = future.result()
                except Exception as error:  # counted and printed, the load goes on
                    status = f"{type(error).__name__}: {error}"
                if status.startswith("Done"):
                    figures.done += 1
                else:
                    figures.failed.append(status)
        figures.load_seconds = time.monotonic() - start
        figures.rss_peak_mb = max(app.samples_mb)
        figures.rss_end_of_load_mb = app.steady_rss_mb()
        figures.folders_end_of_load, figures.disk_end_of_load_mb, _ = app.disk()
        if idle_minutes < NO_LIFETIME_MINUTES:
            interval_s = min(60.0, max(1.0, idle_minutes * 60 / 4))
            print(f"[{label}] load done; waiting {idle_minutes * 60 + 2 * interval_s + 5:.0f} s for the lifetime "
                  "to pass", flush=True)
            time.sleep(idle_minutes * 60 + 2 * interval_s + 5)
        else:
            time.sleep(args.baseline_wait_s)
        figures.rss_after_mb = app.steady_rss_mb()
        figures.folders_after, figures.disk_after_mb, figures.gradio_cache_after_mb = app.disk()
    finally:
        code = app.stop()
        log = (temp_dir / "app.log").read_text()
        figures.app_tracebacks = log.count("Traceback (most recent call last)")
        if figures.app_tracebacks:
            print(f"[{label}] the app logged {figures.app_tracebacks} traceback(s); the last one:\n"
                  + log[log.rindex("Traceback (most recent call last)"):][:3000], flush=True)
        left = [p.name for p in temp_dir.glob("mesa-studio-*")]
        print(f"[{label}] app stopped with SIGTERM: exit {code}, folders left behind: {left or 'none'}", flush=True)
        if code != 0:
            print(log[-4000:], flush=True)
        shutil.rmtree(temp_dir, ignore_errors=True)
    print(json.dumps(asdict(figures)), flush=True)
    return figures


def report(results: list[Figures], args: argparse.Namespace) -> None:
    print(f"\n{args.sessions} sessions ({args.clients} clients at a time, {args.seeds} seed(s) x {args.steps} steps "
          f"at 128 px + one export each, no heartbeat), model {args.model}, RSS of the app process in MB:\n")
    print("| app | RSS before | peak | end of load | after lifetime | session folders end / after "
          "| disk MB end / after | runs done | load s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for f in results:
        print(f"| {f.label} | {f.rss_before_mb:,.0f} | {f.rss_peak_mb:,.0f} | {f.rss_end_of_load_mb:,.0f} | "
              f"{f.rss_after_mb:,.0f} | {f.folders_end_of_load} / {f.folders_after} | "
              f"{f.disk_end_of_load_mb:,.1f} / {f.disk_after_mb:,.1f} | {f.done}/{args.sessions} | "
              f"{f.load_seconds:,.0f} |")
    for f in results:
        grown = f.rss_end_of_load_mb - f.rss_before_mb
        kept = f.rss_after_mb - f.rss_before_mb
        share = f"{kept / grown:.2f}" if grown > 0 else "n/a"
        print(f"\n{f.label}: load added {grown:,.0f} MB; {kept:,.0f} MB of it remained after the lifetime "
              f"(remaining / added = {share})")
        for status in f.failed[:5]:
            print(f"  failed: {status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4, help="sessions in flight at once")
    parser.add_argument("--seeds", type=int, default=2, help="variations per run")
    parser.add_argument("--steps", type=int, default=2, help="denoising steps per run")
    parser.add_argument("--model", default="mesa-tiny")
    parser.add_argument("--idle-minutes", type=float, default=0.5,
                        help="the app's --session-idle-minutes (default 0.5: a short lifetime to wait for)")
    parser.add_argument("--compare", action="store_true",
                        help="first run the same load against an app without lifetimes (baseline)")
    parser.add_argument("--baseline-wait-s", type=float, default=45.0,
                        help="how long the baseline sits idle before 'after' is read")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 1000 or not 1 <= args.clients <= 16:
        parser.error("--sessions must be 1-1000 and --clients 1-16")
    results = []
    if args.compare:
        results.append(measure(args, "baseline: no lifetime", NO_LIFETIME_MINUTES))
    results.append(measure(args, f"lifetime {args.idle_minutes:g} min", args.idle_minutes))
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
