"""One panel runner, three backends, the same numbers: this process, processes, Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_addin.core.forecasting.panel import forecast_panel
from sop_addin.core.forecasting.runner import SchedulerError, run_series

MONTHS = pd.date_range("2023-01-01", periods=30, freq="MS")


def _panel() -> pd.DataFrame:
    """Four short series of different kinds: seasonal, trend, intermittent, a level drop."""
    t = np.arange(30, dtype=np.float64)
    rng = np.random.default_rng(3)
    series = {
        "season": 100 + 25 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 4, 30),
        "trend": 50 + 2 * t + rng.normal(0, 3, 30),
        "sparse": np.where(t % 3 == 0, 6.0, 0.0),
        "drop": np.r_[np.full(18, 200.0), np.full(12, 120.0)] + rng.normal(0, 5, 30),
    }
    return pd.concat(
        [pd.DataFrame({"unique_id": k, "ds": MONTHS, "y": v}) for k, v in series.items()],
        ignore_index=True,
    )


def _square(x: int, add: int) -> int:
    return x * x + add


def test_sequential_and_processes_agree_in_order() -> None:
    done: list[tuple[int, int]] = []
    items = list(range(7))
    expected = [x * x + 1 for x in items]
    assert run_series(_square, items, (1,), progress=lambda d, t: done.append((d, t))) == expected
    assert done[-1] == (7, 7)
    assert run_series(_square, items, (1,), jobs=2) == expected
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        run_series(_square, items, (1,), jobs=0)


def test_dask_cluster_forecasts_equal_the_local_run() -> None:
    distributed = pytest.importorskip("distributed")
    panel = _panel()
    local, local_notes = forecast_panel(panel, 6, jobs=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        remote, remote_notes = forecast_panel(panel, 6, scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(local, remote)
    pd.testing.assert_frame_equal(local_notes, remote_notes)
    assert set(local["unique_id"]) == {"season", "trend", "sparse", "drop"}


def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(
        SchedulerError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
    ):
        run_series(_square, [1, 2], (0,), scheduler="tcp://127.0.0.1:9")
