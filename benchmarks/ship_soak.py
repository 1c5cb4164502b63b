"""Soak run of ``cwquery ship --follow``: rotations, ``kill -9`` restarts and poison lines.

A writer appends JSON lines to ``logs/app.log`` and rotates it, alternating logrotate's two
styles: rename (``app.log`` → ``app.log.1``, older files shifted) and copytruncate (``app.log``
copied to ``app.log.1``, then cut to zero); the second generation is gzipped, as logrotate's
``compress`` with ``delaycompress`` does. Poison lines go in among the good ones: text that is
not JSON, a time that is not a time, and a time 30 days old (which the service refuses).
Meanwhile the real ``cwquery ship --follow`` runs against the real ``cwquery emulator`` and is
killed with SIGKILL at random moments, and restarted after a random pause (rotations happen
while it is down). At the end a plain ``cwquery ship`` run catches up, the group is read back
with FilterLogEvents, and the figures are printed: lines written, received, lost, duplicated,
kills, and the documented bound on resends (one batch per kill).

Event times are taken from the clock when a line is written, so the run works on any day.

Run:  python benchmarks/ship_soak.py                 # 25,000 lines, 24+ kills, about 2 minutes
      python benchmarks/ship_soak.py --lines 3000 --kills 5 --seconds 15
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cwquery.aws.deadletter import dead_letter_path
from cwquery.aws.timeparse import format_millis

GROUP = "/soak/ship"
REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
#: Rotated generations kept: enough that no file is deleted before the shipper reads it.
KEEP = 60


@dataclass
class Figures:
    """What a soak run measured."""

    written: int = 0
    received: int = 0
    lost: int = 0
    duplicated: int = 0
    kills: int = 0
    batch: int = 0
    poison: int = 0
    dead_letters: int = 0
    rotations: Counter[str] = field(default_factory=Counter)
    #: ``warning:`` lines of the shipper that say lines were not read or not sent.
    loss_warnings: list[str] = field(default_factory=list)

    @property
    def bound(self) -> int:
        """The documented bound on resends: one batch per kill."""
        return self.kills * self.batch

    def text(self) -> str:
        """The figures, one per line."""
        styles = ", ".join(f"{count} {style}" for style, count in sorted(self.rotations.items()))
        return "\n".join(
            [
                f"written     {self.written:>8,} lines (+ {self.poison:,} poison lines)",
                f"received    {self.received:>8,} distinct lines",
                f"lost        {self.lost:>8,}",
                f"duplicated  {self.duplicated:>8,} (bound: {self.kills} kills x "
                f"{self.batch} events = {self.bound:,})",
                f"kills       {self.kills:>8,} (SIGKILL)",
                f"rotations   {styles}",
                f"dead letters {self.dead_letters:>7,} lines",
                f"loss warnings {len(self.loss_warnings):>6,}",
            ]
        )


def environment() -> dict[str, str]:
    """Dummy credentials, this checkout's cwquery first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_REGION=REGION)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_emulator(log: Path) -> tuple[subprocess.Popen[str], str]:
    """``cwquery emulator`` on a free port, and its URL once it listens."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cwquery", "emulator", "--port", str(port)],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=open(log, "w"),  # noqa: SIM115 - lives as long as the process
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    for text in process.stdout:
        if "listening on" in text:
            return process, text.split("listening on", 1)[1].strip()
    raise RuntimeError(f"the emulator did not start: {log.read_text()}")


class Writer(threading.Thread):
    """Writes ``lines`` numbered lines over about ``seconds``, rotating every ``every`` lines."""

    def __init__(self, folder: Path, lines: int, seconds: float, every: int, seed: int) -> None:
        super().__init__(daemon=True)
        self.folder = folder
        self.lines = lines
        self.seconds = seconds
        self.every = every
        self.random = random.Random(seed)
        self.poison = 0
        self.rotations: Counter[str] = Counter()
        self.error: BaseException | None = None

    @property
    def live(self) -> Path:
        return self.folder / "app.log"

    def run(self) -> None:
        try:
            self._write()
        except BaseException as err:  # reported by the main thread
            self.error = err

    def _write(self) -> None:
        pause = self.seconds / max(1, self.lines)
        began = time.monotonic()
        for n in range(self.lines):
            if n and n % self.every == 0:
                self.rotate("rename" if self.rotations.total() % 2 == 0 else "copytruncate")
            now = int(time.time() * 1000)
            text = json.dumps({"@timestamp": format_millis(now), "n": n, "pad": "x" * (n % 40)})
            chunk = text + "\n"
            if self.random.random() < 0.01:
                chunk += self._poison(now)
            with open(self.live, "a", encoding="utf-8") as out:
                out.write(chunk)
            behind = began + (n + 1) * pause - time.monotonic()
            if behind > 0:
                time.sleep(behind)

    def _poison(self, now: int) -> str:
        self.poison += 1
        kind = self.poison % 3
        if kind == 0:
            return "this is not JSON\n"
        if kind == 1:
            return json.dumps({"@timestamp": "not a time", "poison": self.poison}) + "\n"
        return (
            json.dumps({"@timestamp": format_millis(now - 30 * 86_400_000), "poison": self.poison})
            + "\n"
        )

    def rotate(self, style: str) -> None:
        self.rotations[style] += 1
        folder = self.folder
        for k in range(KEEP, 0, -1):
            for suffix in ("", ".gz"):
                old = folder / f"app.log.{k}{suffix}"
                if old.exists():
                    if k == KEEP:
                        old.unlink()
                    else:
                        old.rename(folder / f"app.log.{k + 1}{suffix}")
        second = folder / "app.log.2"
        if second.exists():  # compress, delaycompress: the new gzip, then the original goes
            with open(second, "rb") as plain, gzip.open(f"{second}.gz", "wb") as packed:
                shutil.copyfileobj(plain, packed)
            second.unlink()
        if not self.live.exists():
            return
        if style == "rename":
            self.live.rename(folder / "app.log.1")
        else:
            shutil.copyfile(self.live, folder / "app.log.1")
            with open(self.live, "r+b") as cut:
                cut.truncate(0)


def ship_command(folder: Path, state: Path, url: str, batch: int, follow: bool) -> list[str]:
    command = [
        sys.executable, "-m", "cwquery", "ship", str(folder), "--group", GROUP,
        "--stream-prefix", "soak", "--checkpoint", str(state / "checkpoint.json"),
        "--endpoint-url", url, "--region", REGION, "--max-batch-events", str(batch),
    ]  # fmt: skip
    return [*command, "--follow", "--interval", "0.2"] if follow else command


def read_back(url: str) -> Counter[int]:
    """How many times each line number arrived in the group."""
    import boto3

    from cwquery.aws import filter_events

    client: Any = boto3.client(
        "logs", region_name=REGION, endpoint_url=url,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    counts: Counter[int] = Counter()
    for event in filter_events("", GROUP, client=client, start=0):
        counts[json.loads(event["message"])["n"]] += 1
    return counts


#: Words of the shipper's warnings about lines it could not read (not the dead-letter counts).
LOSS_WORDS = ("were not sent", "not read", "could not be read", "cannot be read", "skipped")


def soak(
    work: Path,
    *,
    lines: int = 25_000,
    kills: int = 24,
    seconds: float = 90.0,
    every: int = 500,
    batch: int = 50,
    seed: int = 19,
    up: tuple[float, float] = (1.0, 3.5),
    down: tuple[float, float] = (0.0, 1.0),
) -> Figures:
    """One soak run in ``work``; returns its figures."""
    rng = random.Random(seed)
    folder, state = work / "logs", work / "state"
    folder.mkdir(parents=True)
    state.mkdir()
    emulator, url = start_emulator(work / "emulator.log")
    figures = Figures(batch=batch)
    stderr_logs: list[Path] = []
    try:
        writer = Writer(folder, lines, seconds, every, seed)
        writer.start()
        while writer.is_alive() or figures.kills < kills:
            log = work / f"ship-{len(stderr_logs)}.log"
            stderr_logs.append(log)
            with open(log, "w") as err:
                shipper = subprocess.Popen(
                    ship_command(folder, state, url, batch, follow=True),
                    env=environment(),
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
                time.sleep(rng.uniform(*up))
                shipper.send_signal(signal.SIGKILL)
                shipper.wait()
            figures.kills += 1
            time.sleep(rng.uniform(*down))
        writer.join()
        if writer.error is not None:
            raise writer.error
        for number in range(2):  # catch up, then check that nothing is left
            log = work / f"ship-final-{number}.log"
            stderr_logs.append(log)
            with open(log, "w") as err:
                subprocess.run(
                    ship_command(folder, state, url, batch, follow=False),
                    env=environment(),
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    timeout=600,
                    check=False,
                )
        counts = read_back(url)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(emulator.pid, signal.SIGTERM)
        emulator.wait(timeout=30)
    figures.written = lines
    figures.poison = writer.poison
    figures.rotations = writer.rotations
    figures.received = len(set(counts) & set(range(lines)))
    figures.lost = lines - figures.received
    figures.duplicated = sum(count - 1 for count in counts.values())
    dead = dead_letter_path(state / "checkpoint.json")
    figures.dead_letters = len(dead.read_text().splitlines()) if dead.exists() else 0
    for log in stderr_logs:
        for text in log.read_text(errors="replace").splitlines():
            if text.startswith("warning:") and any(word in text for word in LOSS_WORDS):
                figures.loss_warnings.append(text)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=25_000)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=90.0, help="how long the writer writes")
    parser.add_argument("--every", type=int, default=500, help="lines between rotations")
    parser.add_argument("--batch", type=int, default=50, help="--max-batch-events")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ship-soak-"))
    began = time.monotonic()
    try:
        figures = soak(
            work,
            lines=args.lines,
            kills=args.kills,
            seconds=args.seconds,
            every=args.every,
            batch=args.batch,
            seed=args.seed,
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(figures.text())
    for text in figures.loss_warnings[:10]:
        print(f"  {text}")
    print(f"({time.monotonic() - began:.0f} s{'; kept in ' + str(work) if args.keep else ''})")
    return 0 if figures.lost == 0 and figures.duplicated <= figures.bound else 1


if __name__ == "__main__":
    sys.exit(main())
