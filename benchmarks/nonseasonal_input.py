"""Inputs of 2, 4 and 6 horizons on series without a season: MASE against naive.

    python benchmarks/nonseasonal_input.py [--horizons 2 4 6] [--data DIR]

``Forecaster(h, season=1, seq_size=k * h, seed=0)`` on the single series of ``classics.py`` that
have no season to model (Microsoft's closing prices with ``freq="obs"``, Nile, lynx, yearly
sunspots), the last ``h`` points held out. MASE scaled by the lag-1 change; naive beside it. The recipe
takes ``2h`` where a typical series is short and up to ``6h`` where it holds them
(``recipe.choose``): the drift base reads its slope off the input, and over a short input a
random walk's slope is mostly noise.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

from classics import read
from time_to_accuracy import score, split

from seriespredictor import Forecaster, Naive


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    p.add_argument("--horizons", nargs="+", type=int, default=[2, 4, 6], help="inputs of this many horizons")
    args = p.parse_args()
    print("| series | h | naive | " + " | ".join(f"input {k}h" for k in args.horizons) + " |")
    print("|---|---:|---:|" + "---:|" * len(args.horizons))
    for name in ["msft", "nile", "lynx", "sunspots_yearly"]:
        df, h, options = read(name, args.data)
        train, actual, insample = split(df.assign(unique_id=name), h)
        cells = [score(Naive().fit(train, **options).predict(h), "Naive", actual, insample, 1)]
        for k in args.horizons:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # interval warnings of single series
                model = Forecaster(h=h, season=1, seq_size=k * h, seed=0, **options).fit(train)
            cells.append(score(model.predict(), model.alias, actual, insample, 1))
        print(f"| {name} | {h} | " + " | ".join(f"{c:.3f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
