"""Launch ``torchrun`` training N times and count the failures (tests/test_distributed.py's run).

    PYTHONPATH=src python3 benchmarks/torchrun_launches.py --launches 40 --load-every 2

``--load-every k``: every k-th launch runs beside busy-looping processes, one per core, so the
workers are descheduled at random points (start-up, barriers, teardown). Each failure's stderr
tail is printed; the last line is the count.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_distributed import FIT, WORKER, write_panel  # noqa: E402


def spin() -> None:
    while True:
        pass


def launch(folder: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", WORKER, "fit",
           str(folder / "d.csv"), "--out", str(folder / "m"), *FIT, "--micro-batch-size", "8"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--launches", type=int, default=40)
    parser.add_argument("--load-every", type=int, default=2, help="every k-th launch runs under full CPU load; 0: never")
    args = parser.parse_args()
    failures, started = 0, time.perf_counter()
    for k in range(args.launches):
        loaded = args.load_every and k % args.load_every == 0
        burners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(os.cpu_count() or 1)] if loaded else []
        for b in burners:
            b.start()
        with tempfile.TemporaryDirectory() as tmp:
            write_panel(Path(tmp) / "d.csv")
            r = launch(Path(tmp))
        for b in burners:
            b.terminate()
            b.join()
        ok = r.returncode == 0 and "model saved to" in r.stdout
        failures += not ok
        print(f"launch {k + 1}: {'ok' if ok else f'FAILED (exit {r.returncode})'}{' under load' if loaded else ''}", flush=True)
        if not ok:
            print(r.stderr[-3000:], flush=True)
    print(f"{failures} failures in {args.launches} launches ({time.perf_counter() - started:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
