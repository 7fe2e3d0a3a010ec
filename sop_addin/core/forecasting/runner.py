"""One panel runner with three backends: this process, local processes, a Dask cluster.

Both front ends (the workbook's ``forecast_demand`` and the CSV panel of ``sop forecast``)
hand it a module-level function of one series and the list of series; the runner returns
the results in the same order, whatever the backend, and reports progress as
``progress(done, total)``. The backends compute the same numbers: every series is forecast
by the same function from the same inputs, and nothing depends on which worker ran it.

- sequential: ``jobs=1`` and no scheduler.
- processes: ``jobs > 1``: a local process pool, forked where safe, one BLAS thread each.
- Dask distributed: ``scheduler="tcp://HOST:PORT"`` (``sop forecast/run --scheduler``
  or ``SOP_DASK_SCHEDULER``): chunks of series become tasks on the cluster's workers,
  which need sop-addin installed (``pip install sop-addin[distributed]``).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from sop_addin.core.forecasting.types import Progress

T = TypeVar("T")
R = TypeVar("R")


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used: not installed, unreachable (the message says)."""


MAX_CHUNK = 50  # series per local task: keeps each progress report a few seconds apart
MAX_DASK_CHUNK = 250  # a Dask task costs about a millisecond of scheduling: bigger chunks


def run_chunk(worker: Callable[..., R], chunk: Sequence[Any], *args: object) -> list[R]:
    """``worker(item, *args)`` for each item (module level, so it pickles to any backend)."""
    return [worker(item, *args) for item in chunk]


def run_chunk_one_thread(worker: Callable[..., R], chunk: Sequence[Any], *args: object) -> list[R]:
    """``run_chunk`` with one BLAS thread: a Dask worker's threads must not compete."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return run_chunk(worker, chunk, *args)


def run_series(
    worker: Callable[..., R],
    items: Sequence[T],
    args: tuple[object, ...] = (),
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> list[R]:
    """``worker(item, *args)`` for every item, in order, on the chosen backend.

    Args:
        worker: a module-level function (it must pickle) of one item.
        items: the work, e.g. one history per series.
        args: further arguments for every call (they must pickle).
        jobs: local worker processes; 1 runs in this process.
        scheduler: a Dask scheduler address (``tcp://HOST:PORT``); overrides ``jobs``.
        progress: called as ``progress(done, total)``.

    Raises:
        ValueError: when ``jobs`` is below 1.
        SchedulerError: when the Dask scheduler cannot be reached or ``distributed`` is
            not installed (the message says which).
    """
    if jobs < 1:
        msg = f"jobs must be at least 1, got {jobs}"
        raise ValueError(msg)
    if scheduler:
        return _run_dask(worker, list(items), args, scheduler, progress)
    if jobs == 1 or len(items) < 2:
        results = []
        total = len(items)
        for done, item in enumerate(items, start=1):
            results.append(worker(item, *args))
            if progress is not None:
                progress(done, total)
        return results
    return _run_processes(worker, list(items), args, jobs, progress)


def _chunks(items: list[T], workers: int, largest: int) -> list[list[T]]:
    # Several chunks per worker balance the load and keep the progress moving.
    size = max(1, min(largest, math.ceil(len(items) / (workers * 8))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _run_processes(
    worker: Callable[..., R],
    items: list[T],
    args: tuple[object, ...],
    jobs: int,
    progress: Progress | None,
) -> list[R]:
    total = len(items)
    chunks = _chunks(items, jobs, MAX_CHUNK)
    results: list[list[R]] = [[] for _ in chunks]
    done = 0
    context = _start_method()
    with (
        _single_thread_blas_for_children(),
        _one_blas_thread_while_forking(context),
        ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=context) as pool,
    ):
        futures: dict[Future[list[R]], int] = {
            pool.submit(run_chunk, worker, chunk, *args): i for i, chunk in enumerate(chunks)
        }
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            done += len(chunks[i])
            if progress is not None:
                progress(done, total)
    return [r for chunk in results for r in chunk]


def _run_dask(
    worker: Callable[..., R],
    items: list[T],
    args: tuple[object, ...],
    scheduler: str,
    progress: Progress | None,
) -> list[R]:
    try:
        from distributed import Client
    except ImportError as exc:
        msg = (
            "a Dask scheduler was given but the 'distributed' package is not installed "
            "(pip install sop-addin[distributed])"
        )
        raise SchedulerError(msg) from exc
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except OSError as exc:
        msg = f"cannot reach the Dask scheduler at {scheduler} ({exc})"
        raise SchedulerError(msg) from exc
    total = len(items)
    with client:
        workers = max(1, sum(client.nthreads().values()))
        chunks = _chunks(items, workers, MAX_DASK_CHUNK)
        futures = [
            client.submit(run_chunk_one_thread, worker, chunk, *args, pure=False)
            for chunk in chunks
        ]
        results: list[list[R]] = []
        done = 0
        # In submission order: the cluster works on every chunk meanwhile, so waiting for
        # the first costs no throughput, and the progress still moves chunk by chunk.
        for chunk, future in zip(chunks, futures, strict=True):
            results.append(future.result())
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return [r for chunk in results for r in chunk]


@contextmanager
def _single_thread_blas_for_children() -> Iterator[None]:
    """One BLAS thread in each worker process started inside this block.

    statsmodels gains nothing from more threads, and workers competing for cores lose.
    BLAS reads these variables when it loads, which in a spawned worker happens before
    any initializer could run, so they are set in the parent while the workers start and
    restored afterwards.
    """
    keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(dict.fromkeys(keys, "1"))
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _start_method() -> multiprocessing.context.BaseContext:
    """fork where it is safe (Linux, no other thread alive), else spawn.

    A forked worker starts in milliseconds with everything imported; a spawned one
    imports pandas and statsmodels again (1-2 s each), which is most of the run for a few
    hundred series. Forking a process with other threads (a progress bar's refresher,
    Excel's host) can deadlock, and macOS frameworks forbid it, so those spawn.
    """
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        _warm_up()
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


_WARM = False


def _warm_up() -> None:
    """Fit each statsmodels model once in the parent before forking.

    statsmodels and scipy import much of themselves lazily, on the first fit; done here,
    once, every forked worker inherits it instead of paying it (measured: about a second
    of CPU per worker).
    """
    global _WARM
    if _WARM:
        return
    from sop_addin.core.forecasting.classical import CLASSICAL_CLASSES
    from sop_addin.core.forecasting.models import (
        SEASON,
        ForecastModel,
        HoltDamped,
        HoltWinters,
        HoltWintersMultiplicative,
        SimpleExpSmoothing,
        Theta,
    )

    t = np.arange(40, dtype=np.float64)
    y = 50 + t + 10 * np.sin(2 * np.pi * t / SEASON)
    warm: tuple[type[ForecastModel], ...] = (
        HoltWinters,
        HoltWintersMultiplicative,
        HoltDamped,
        SimpleExpSmoothing,
        Theta,
        *CLASSICAL_CLASSES,
    )
    for cls in warm:
        with contextlib.suppress(Exception):  # a warm-up only; the real fits report failures
            cls().fit(y).predict(2)
    _WARM = True


@contextmanager
def _one_blas_thread_while_forking(context: multiprocessing.context.BaseContext) -> Iterator[None]:
    """One BLAS thread in the parent while forked workers start: they inherit it."""
    if context.get_start_method() != "fork":
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
