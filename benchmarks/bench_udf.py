"""SOP_FORECAST latency on 48 months of history: cold (computed) and cached (recalculation).

Calls the worksheet function as Excel does (a 48x1 range as a 2-D list of floats) and
prints p50/p95 latency per method, cold (cache cleared before every call) and cached (the
same arguments again, as when Excel recalculates a sheet whose inputs did not change), and
the cold/cached ratio. The first call of the process (imports) is reported apart.

    .venv/bin/python benchmarks/bench_udf.py [--repeats 20] [--methods auto ses holt_winters]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sop_addin.excel import udf_bridge
from sop_addin.udfs import SOP_FORECAST

MONTHS = 48
HORIZON = 12.0


def history(seed: int) -> list[list[float]]:
    """48 months of trend + seasonality + noise, as Excel passes a one-column range."""
    rng = np.random.default_rng(seed)
    t = np.arange(MONTHS)
    values = 400 + 3 * t + 60 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 20, MONTHS)
    return [[float(round(v))] for v in values]


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q))


def run(method: str, repeats: int) -> tuple[list[float], list[float]]:
    cold, cached = [], []
    for seed in range(repeats):
        data = history(seed)
        udf_bridge.clear_cache()
        start = time.perf_counter()
        first = SOP_FORECAST(data, HORIZON, method, None, True)
        cold.append(time.perf_counter() - start)
        assert isinstance(first, list) and len(first) == HORIZON, first
        start = time.perf_counter()
        again = SOP_FORECAST(data, HORIZON, method, None, True)
        cached.append(time.perf_counter() - start)
        assert again == first
    return cold, cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--methods", nargs="+", default=["auto", "holt_winters", "ses", "naive"])
    args = parser.parse_args()

    start = time.perf_counter()
    SOP_FORECAST(history(10_000), HORIZON, "holt_winters")
    print(f"first call of the process (imports statsmodels): {time.perf_counter() - start:.2f} s")
    print(f"SOP_FORECAST, {MONTHS} months, horizon {HORIZON:.0f}, intervals, {args.repeats} calls")
    header = f"{'method':<14}{'cold p50':>11}{'cold p95':>11}{'cached p50':>13}{'cached p95':>13}"
    print(header + f"{'ratio p50':>11}")
    for method in args.methods:
        cold, cached = run(method, args.repeats)
        c50, c95 = percentile(cold, 50), percentile(cold, 95)
        h50, h95 = percentile(cached, 50), percentile(cached, 95)
        print(
            f"{method:<14}{c50 * 1e3:>9.1f}ms{c95 * 1e3:>9.1f}ms"
            f"{h50 * 1e6:>11.1f}us{h95 * 1e6:>11.1f}us{c50 / h50:>10.0f}x"
        )
    info = udf_bridge.cache_info()
    print(f"cache: {info.hits} hits, {info.misses} misses, max {info.maxsize} entries")


if __name__ == "__main__":
    main()
