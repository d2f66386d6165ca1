"""Launch ``torchrun`` training N times and count the failures (tests/test_distributed.py's run).

    PYTHONPATH=src python3 benchmarks/torchrun_launches.py --launches 40 --load-every 2

``--load-every k``: every k-th launch runs beside busy-looping processes, one per core, so the
workers are descheduled at random points (start-up, barriers, teardown). ``--kill-at STEP``:
rank 1 dies by SIGKILL at that step and torchrun restarts both workers, which resume from the
checkpoint (the restart path). Each failure's stderr tail is printed; the last line is the count.
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


def launch(folder: Path, kill_at: int | None) -> subprocess.CompletedProcess:
    restart = ["--max-restarts=1"] if kill_at else []
    resume = ["--checkpoint-dir", str(folder / "ckpt"), "--checkpoint-every", "20", "--resume"] if kill_at else []
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", *restart, WORKER, "fit",
           str(folder / "d.csv"), "--out", str(folder / "m"), *FIT, "--micro-batch-size", "8", *resume]
    env = {**os.environ, **({"DDP_KILL_AT": str(kill_at)} if kill_at else {})}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--launches", type=int, default=40)
    parser.add_argument("--load-every", type=int, default=2, help="every k-th launch runs under full CPU load; 0: never")
    parser.add_argument("--kill-at", type=int, default=None, help="rank 1 dies at this step; torchrun restarts, they resume")
    args = parser.parse_args()
    failures, started = 0, time.perf_counter()
    for k in range(args.launches):
        loaded = args.load_every and k % args.load_every == 0
        burners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(os.cpu_count() or 1)] if loaded else []
        for b in burners:
            b.start()
        with tempfile.TemporaryDirectory() as tmp:
            write_panel(Path(tmp) / "d.csv")
            r = launch(Path(tmp), args.kill_at)
        for b in burners:
            b.terminate()
            b.join()
        ok = r.returncode == 0 and "model saved to" in r.stdout and (not args.kill_at or "resumed ensemble member 0" in r.stdout)
        failures += not ok
        print(f"launch {k + 1}: {'ok' if ok else f'FAILED (exit {r.returncode})'}{' under load' if loaded else ''}", flush=True)
        if not ok:
            print(r.stderr[-3000:], flush=True)
    print(f"{failures} failures in {args.launches} launches ({time.perf_counter() - started:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
