"""Training speed against the bare PyTorch step, and memory against ``import torch``.

    python benchmarks/speed.py [--case airline panel m4_hourly] [--device cuda] [--repeats 3]
    python benchmarks/speed.py --passes-grid

Each case runs in its own process (the generated panel is written to a file first, so the
measured process only loads its values and fits) and prints one JSON line: windows per second of our
``Forecaster.fit`` training loop (sampling, gathering, centring, loss, clipping, Adam: all of
it, with validation off) and of the bare step (forward + backward + torch's default Adam of the
same module on random tensors of the same shapes, same threads), measured alternately in the
same process, medians of ``--repeats``; their ratio; the training step's rate in GFLOP/s (the LSTM's
gate products forward and backward) and its share of this machine's matrix-multiply peak in the
fit's precision (``gemm_peak_gflops``, measured here on the same threads); for reference, the bare step with the
fused Adam kernel that our loop uses, and that again split into the forward/backward passes
per step that our loop chose (``passes_per_step``; see ``runtime.choose_micro_batch``), with
our ratio to it (``ratio_same_passes``: what our loop costs beyond those kernels); the peak RSS after loading the data and the first fit
(``fit_peak_rss_mb``), the peak of the whole process, and the RSS right after ``import torch``.

``--passes-grid`` measures what ``runtime.choose_micro_batch`` is based on.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
M4 = HERE.parent.parent / "shared" / "data" / "m4_hourly" / "Hourly-train.csv"
PANEL = Path("/tmp/seriespredictor-speed/panel-2000x500.npz")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def generated_panel(n_series: int, length: int, seed: int = 0):
    """Season 24, trend and AR(1) noise, as in ../shared/reference/BENCHMARKS.md task B."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    t = np.arange(length)
    level = rng.uniform(50, 500, (n_series, 1))
    season = rng.uniform(0.05, 0.3, (n_series, 1)) * level * np.sin(2 * np.pi * t / 24 + rng.uniform(0, 6.3, (n_series, 1)))
    trend = rng.normal(0, 0.05, (n_series, 1)) * level / 100 * t
    noise = np.zeros((n_series, length))
    eps = rng.normal(0, 0.02, (n_series, length)) * level
    for k in range(1, length):
        noise[:, k] = 0.7 * noise[:, k - 1] + eps[:, k]
    y = level + season + trend + noise
    return pd.DataFrame({
        "unique_id": np.repeat(np.arange(n_series), length),
        "ds": np.tile(t, n_series),
        "y": y.ravel(),
    })


def case_setup(case: str):
    """(data, Forecaster keyword arguments, steps) for a case."""
    if case == "airline":
        from seriespredictor import load_airline_passengers

        return load_airline_passengers(), dict(h=12, seq_size=24, hidden_dim=64, batch_size=32), 500
    if case == "panel":  # written by the parent process; this one loads the arrays into a series store
        import numpy as np

        from seriespredictor.panel import Panel

        arrays = np.load(PANEL)
        lengths = arrays["lengths"]
        panel = Panel(list(range(len(lengths))), arrays["values"], np.r_[0, np.cumsum(lengths)], [0] * len(lengths), 1)
        return panel, dict(h=24, seq_size=96, hidden_dim=64, batch_size=256), 150
    if case == "m4_hourly":
        sys.path.insert(0, str(HERE))
        from m4 import read_m4, to_long

        return to_long(read_m4(M4)), dict(h=48, season=24, freq=1), 300  # the default recipe
    raise SystemExit(f"unknown case {case!r}")


def bare_windows_per_s(net, batch: int, seq_steps: int, input_dim: int, h: int, steps: int, device,
                       fused: bool = False, passes: int = 1) -> float:
    """The bare step; with ``passes`` > 1, forward and backward over that many equal parts of the batch."""
    import torch

    x = torch.randn(batch, seq_steps, input_dim, device=device)
    y = torch.randn(batch, h, device=device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=fused or None)

    parts = list(zip(x.chunk(passes), y.chunk(passes)))  # views, made once

    def step():
        opt.zero_grad(set_to_none=True)
        for xs, ys in parts:
            out = net(xs, last_only=True)[0]
            loss = torch.mean((out - ys) ** 2)
            (loss / passes if passes > 1 else loss).backward()
        opt.step()

    for _ in range(5):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - t0)


def gemm_gflops(threads: int, dtype_name: str, device, n: int = 1024, repeats: int = 20) -> float:
    """The machine's matrix-multiply rate (GFLOP/s) on ``threads`` threads in ``dtype_name``: the
    peak that dense kernels such as the LSTM's gate products can reach here."""
    import torch

    from seriespredictor.runtime import num_threads

    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    with num_threads(threads):
        for _ in range(3):
            a @ b
        t0 = time.perf_counter()
        for _ in range(repeats):
            a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        return 2 * n**3 * repeats / (time.perf_counter() - t0) / 1e9


def training_flops_per_window(cfg, steps: int) -> float:
    """Multiply-adds x 2 of one window's forward and backward pass (backward: twice the forward):
    the LSTM's gate products at each of ``steps`` steps, and the head."""
    H = cfg.hidden_dim
    gates = 2 * 4 * H * (cfg.input_dim + H) + (cfg.num_layers - 1) * 2 * 4 * H * 2 * H
    return 3 * (steps * gates + 2 * H * cfg.output_dim)


def run_case(case: str, device_name: str, repeats: int, threads: int | None) -> dict:
    import torch

    import_rss = rss_mb()
    from seriespredictor import Forecaster
    from seriespredictor.ensemble import micro_batches
    from seriespredictor.model import LSTMNetwork
    from seriespredictor.runtime import choose_threads, num_threads

    data, kw, steps = case_setup(case)
    device = torch.device(device_name)
    ours, bare, bare_fused, bare_passes = [], [], [], []
    fit_peak = None
    for rep in range(repeats):
        model = Forecaster(steps=steps, val_size=0, ensemble=1, refit=False, seed=rep, device=device_name, threads=threads, **kw).fit(data)
        chosen = model.params_  # with the recipe's choices for what kw leaves unset
        if fit_peak is None:  # the process so far: imports, data, one fit
            fit_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ours.append(steps * chosen["batch_size"] / model.history_[0].seconds)
        cfg = model.nets_[0].config.lstm  # the network's LSTM and head, without its forecasting settings
        n_threads = choose_threads(chosen["batch_size"], chosen["hidden_dim"], threads)
        passes = micro_batches(chosen, chosen["batch_size"], model.seq_size_ // chosen["patch_size"], device)
        with num_threads(n_threads):
            net = LSTMNetwork(cfg).to(device)
            shape = (chosen["batch_size"], model.seq_size_ // chosen["patch_size"], cfg.input_dim, cfg.output_dim, steps, device)
            bare.append(bare_windows_per_s(net, *shape))
            bare_fused.append(bare_windows_per_s(net, *shape, fused=True))
            bare_passes.append(bare_windows_per_s(net, *shape, fused=True, passes=passes))
    o, b = statistics.median(ours), statistics.median(bare)
    flops = training_flops_per_window(cfg, model.seq_size_ // chosen["patch_size"])
    peak = gemm_gflops(n_threads, chosen["precision"], device)
    return {
        "case": case, "device": device_name, "threads": n_threads, "batch_size": chosen["batch_size"],
        "ours_windows_per_s": round(o, 1), "bare_windows_per_s": round(b, 1), "ratio": round(o / b, 3),
        "ours_runs": [round(v) for v in ours], "bare_runs": [round(v) for v in bare],
        "bare_fused_adam_windows_per_s": round(statistics.median(bare_fused), 1),
        "passes_per_step": passes,
        "bare_same_passes_windows_per_s": round(statistics.median(bare_passes), 1),
        "ratio_same_passes": round(o / statistics.median(bare_passes), 3),
        "precision": chosen["precision"], "gemm_peak_gflops": round(peak, 1),
        "ours_gflops": round(o * flops / 1e9, 1), "ours_share_of_peak": round(o * flops / 1e9 / peak, 3),
        "bare_same_passes_share_of_peak": round(statistics.median(bare_passes) * flops / 1e9 / peak, 3),
        "fit_peak_rss_mb": round(fit_peak, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "import_torch_rss_mb": round(import_rss, 1),
    }


def passes_grid(threads: int | None) -> None:
    """Bare windows/s of one batch of 256 split into passes of 256, 128, ..., 8 windows, for
    several LSTM shapes, beside the pass size ``choose_micro_batch`` picks: one JSON line each."""
    import torch

    from seriespredictor.model import LSTMConfig, LSTMNetwork
    from seriespredictor.runtime import LSTM_BUFFER_BYTES, cache_bytes, choose_micro_batch, choose_threads

    torch.set_num_threads(choose_threads(256, 64, threads))
    for steps_, input_dim, hidden in [(24, 1, 64), (48, 1, 64), (96, 1, 32), (96, 1, 64), (96, 1, 128),
                                      (168, 1, 64), (168, 1, 128), (7, 24, 128)]:
        net = LSTMNetwork(LSTMConfig(input_dim, hidden, 24))
        rates = {size: round(bare_windows_per_s(net, 256, steps_, input_dim, 24, 10, torch.device("cpu"),
                                                fused=True, passes=256 // size))
                 for size in (256, 128, 64, 32, 16, 8)}
        print(json.dumps({
            "lstm_steps": steps_, "input_dim": input_dim, "hidden_dim": hidden, "threads": torch.get_num_threads(),
            "windows_per_s_by_pass_size": rates, "fastest": max(rates, key=rates.get),
            "chosen": choose_micro_batch(256, steps_, hidden),
            "buffers_mb_whole_batch": round(LSTM_BUFFER_BYTES * 256 * steps_ * hidden / 2**20, 1),
            "cache_mb": cache_bytes() / 2**20,
        }), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--case", nargs="+", default=["airline", "panel", "m4_hourly"])
    p.add_argument("--device", default="cpu")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="override the automatic thread choice")
    p.add_argument("--passes-grid", action="store_true",
                   help="instead: the bare step split into passes of each size, for several LSTM shapes")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.passes_grid:
        passes_grid(args.threads)
        return
    if args.child:
        print(json.dumps(run_case(args.case[0], args.device, args.repeats, args.threads)), flush=True)
        return
    if "panel" in args.case and not PANEL.exists():
        PANEL.parent.mkdir(parents=True, exist_ok=True)
        import numpy as np

        frame = generated_panel(2000, 500)
        np.savez(PANEL, values=frame["y"].to_numpy(), lengths=frame.groupby("unique_id").size().to_numpy())
    for case in args.case:  # one process per case, so peak RSS is the case's own
        cmd = [sys.executable, __file__, "--child", "--case", case, "--device", args.device, "--repeats", str(args.repeats)]
        if args.threads is not None:
            cmd += ["--threads", str(args.threads)]
        subprocess.run(cmd, check=True)


if __name__ == "__main__":
    main()
