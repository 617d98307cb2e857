"""Time per iteration of the estimator fit on a dask cluster against in memory.

``SigmoidMLPRegressor(solver="lbfgs", alpha=1e-4, tol=0, max_iter=20,
n_hidden=50, random_state=0)`` on Friedman #1 (noise 1), 2,000,000 x 10
float64 rows, X standardised (by the uniform distribution's mean and
standard deviation):

- ``memory``: ``fit(X, y)`` on numpy arrays with ``n_jobs=2``;
- ``dask``: ``fit(dask_X, dask_y)`` on a ``LocalCluster`` of 2 worker
  processes with 1 thread each (``n_jobs`` unset: 1 thread per chunk), the
  rows in ``--chunks`` chunks.

The data are **created on the workers**: each chunk by ``map_blocks`` of a
generator seeded with the chunk's index, persisted there once; the in-memory
fit gets the same rows, in the same order, gathered into this process. So a
dask fit's time covers what the estimator does on dask data (the checks and
target statistics in one pass, building the chunks' kernels on the workers,
the iterations, the posterior) but not reading or making the data.

The fits of the two kinds are interleaved (memory dask dask memory ...); the
table gives medians. A scikit-learn callback (``sklearn.callback``, 1.9 or
later) times the solver's iterations: "ms/iter" is the time from the first
iteration's start to the last one's end over the iterations, "outside s" the
rest of the fit (validation, canonical order or the statistics pass, the
kernel's build, the posterior). "x memory" is the ratio of the medians of
ms/iter, "paired" the median of the per-repeat ratios, "fit x memory" the
ratio of the median fit times. The goal of issue 19 is a per-iteration ratio
of at most 1.5. "weights rel. diff" is the largest difference of the final
weights from the in-memory fit's, relative to the largest weight (L-BFGS
amplifies last-bit differences of the sums; an in-memory fit also trains on
the canonical order of the samples); "same bits" whether every repeat of a
kind gave the same weights. "steal %" is the share of the CPUs' time the
hypervisor gave to other guests; the load average before the run is printed
above the table (other processes of a shared machine slow both kinds).

Usage::

    python benchmarks/bench_dask.py           # full (~5 minutes)
    python benchmarks/bench_dask.py --quick   # smoke run (seconds)

Writes the Markdown table to stdout (and to ``--markdown FILE``) and a CSV
(``--csv``).
"""

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np
from _machine import cpu_times, steal_share
from _output import machine, markdown, write_csv
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sklearn_sigmoidnet import SigmoidMLPRegressor

N_FEATURES = 10
ALPHA = 1e-4


def friedman_chunk(block_id, n_rows, part):
    """Chunk ``block_id[0]`` of Friedman #1 (noise 1): its standardised X
    (``part="X"``) or y, from a generator seeded with the chunk's index."""
    rng = np.random.default_rng([19, block_id[0]])
    U = rng.uniform(size=(n_rows, N_FEATURES))
    if part == "X":
        return (U - 0.5) * np.sqrt(12.0)
    return (
        10 * np.sin(np.pi * U[:, 0] * U[:, 1])
        + 20 * (U[:, 2] - 0.5) ** 2
        + 10 * U[:, 3]
        + 5 * U[:, 4]
        + rng.normal(size=n_rows)
    )


def dask_friedman(n_rows, n_chunks):
    """``(X, y)``: lazy dask arrays whose chunks are made on the workers."""
    import dask.array as da

    chunk_rows = -(-n_rows // n_chunks)
    rows = tuple(
        min(chunk_rows, n_rows - start) for start in range(0, n_rows, chunk_rows)
    )

    def chunk(block_id=None, part=None):
        return friedman_chunk(block_id, rows[block_id[0]], part)

    X = da.map_blocks(chunk, part="X", chunks=(rows, (N_FEATURES,)), dtype=np.float64)
    y = da.map_blocks(chunk, part="y", chunks=(rows,), dtype=np.float64)
    return X, y


class IterationTimer:
    """A ``sklearn.callback`` fit callback: the times at which the solver's
    iterations begin and end."""

    def setup(self, estimator, context):
        self.first_begin, self.ends = None, []

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        if context.task_name == "iteration" and self.first_begin is None:
            self.first_begin = time.perf_counter()

    def on_fit_task_end(self, estimator, context):
        if context.task_name == "iteration":
            self.ends.append(time.perf_counter())


def _callbacks_available():
    try:
        import sklearn.callback  # noqa: F401
    except ImportError:
        return False
    return hasattr(SigmoidMLPRegressor, "set_callbacks")


def _weights(model):
    return np.concatenate([w.ravel() for w in (*model.coefs_, *model.intercepts_)])


def fit(model, X, y):
    """``(fit seconds, iteration seconds, model)`` of one fit."""
    timer = None
    if _callbacks_available():
        timer = IterationTimer()
        model.set_callbacks(timer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
    if timer is None or timer.first_begin is None:
        return seconds, seconds, model  # no callbacks: the whole fit
    last = timer.ends[model.n_iter_ - 1]
    return seconds, last - timer.first_begin, model


def measure(args):
    from distributed import Client, LocalCluster

    base_model = SigmoidMLPRegressor(
        n_hidden=args.hidden,
        solver="lbfgs",
        alpha=ALPHA,
        tol=0,
        max_iter=args.iterations,
        random_state=0,
    )
    kinds = ["memory", "dask"]
    fit_times = {kind: [] for kind in kinds}
    iteration_times = {kind: [] for kind in kinds}
    weights, same_bits, n_iter = {}, dict.fromkeys(kinds, True), {}
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        dask_X, dask_y = client.persist(dask_friedman(args.rows, args.chunks))
        X, y = client.compute([dask_X, dask_y], sync=True)  # the same rows
        data = {"memory": (X, y), "dask": (dask_X, dask_y)}
        models = {
            "memory": clone(base_model).set_params(n_jobs=args.threads),
            "dask": clone(base_model),
        }
        before = cpu_times()
        for repeat in range(args.repeats):
            order = kinds if repeat % 2 == 0 else kinds[::-1]
            for kind in order:
                seconds, in_iterations, model = fit(clone(models[kind]), *data[kind])
                fit_times[kind].append(seconds)
                iteration_times[kind].append(in_iterations / max(1, model.n_iter_))
                theta = _weights(model)
                if kind in weights:
                    same_bits[kind] &= bool(np.array_equal(theta, weights[kind]))
                weights[kind], n_iter[kind] = theta, model.n_iter_
            print(
                f"repeat {repeat}: "
                + ", ".join(f"{kind} {fit_times[kind][-1]:.2f} s" for kind in order),
                file=sys.stderr,
                flush=True,
            )
        steal = steal_share(before, cpu_times())
        n_chunks = dask_X.numblocks[0]
    reference = weights["memory"]
    base_iteration = statistics.median(iteration_times["memory"])
    base_fit = statistics.median(fit_times["memory"])
    rows = []
    for kind in kinds:
        per_iteration = statistics.median(iteration_times[kind])
        paired = [
            t / t_memory
            for t, t_memory in zip(
                iteration_times[kind], iteration_times["memory"], strict=True
            )
        ]
        outside = [
            f - t * n_iter[kind]
            for f, t in zip(fit_times[kind], iteration_times[kind], strict=True)
        ]
        rows.append(
            {
                "kind": kind,
                "rows": args.rows,
                "features": N_FEATURES,
                "hidden": args.hidden,
                "chunks": 1 if kind == "memory" else n_chunks,
                "workers": 1 if kind == "memory" else args.workers,
                "threads": args.threads if kind == "memory" else 1,
                "iterations": n_iter[kind],
                "repeats": len(fit_times[kind]),
                "fit_s": statistics.median(fit_times[kind]),
                "outside_s": statistics.median(outside),
                "ms_per_iter": 1e3 * per_iteration,
                "ratio_to_memory": per_iteration / base_iteration,
                "paired_ratio_median": statistics.median(paired),
                "fit_ratio_to_memory": statistics.median(fit_times[kind]) / base_fit,
                "max_rel_weight_diff": float(
                    np.max(np.abs(weights[kind] - reference))
                    / np.max(np.abs(reference))
                ),
                "same_bits_every_repeat": same_bits[kind],
                "steal_percent": 100 * steal,
            }
        )
    return rows


COLUMNS = [
    ("kind", "fit on", "{}"),
    ("rows", "rows", "{:,}"),
    ("features", "features", "{}"),
    ("hidden", "hidden", "{}"),
    ("chunks", "chunks", "{}"),
    ("workers", "workers", "{}"),
    ("threads", "threads each", "{}"),
    ("iterations", "iters", "{}"),
    ("repeats", "repeats", "{}"),
    ("fit_s", "fit s", "{:.2f}"),
    ("outside_s", "outside s", "{:.2f}"),
    ("ms_per_iter", "ms/iter", "{:.1f}"),
    ("ratio_to_memory", "x memory", "{:.3f}"),
    ("paired_ratio_median", "paired x memory", "{:.3f}"),
    ("fit_ratio_to_memory", "fit x memory", "{:.3f}"),
    ("max_rel_weight_diff", "weights rel. diff", "{:.2g}"),
    ("same_bits_every_repeat", "same bits", "{}"),
    ("steal_percent", "steal %", "{:.0f}"),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--hidden", type=int, default=50)
    parser.add_argument("--chunks", type=int, default=8, help="row chunks (8)")
    parser.add_argument("--workers", type=int, default=2, help="dask workers (2)")
    parser.add_argument(
        "--threads", type=int, default=2, help="n_jobs of the in-memory fit (2)"
    )
    parser.add_argument("--iterations", type=int, default=20, help="max_iter (20)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats")
    parser.add_argument("--csv", default="benchmarks/results/bench_dask.csv")
    parser.add_argument("--markdown", help="also write the Markdown to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.hidden, args.chunks = 20_000, 8, 4
        args.iterations, args.repeats = 3, 2
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = measure(args)
    ratio = rows[1]["ratio_to_memory"]
    text = (
        f"Machine: {machine()}; load average before the run {load:.1f}\n\n"
        f"The estimator on dask against in memory: Friedman #1, {args.rows:,} x "
        f"{N_FEATURES} float64 rows made on the workers, SigmoidMLPRegressor("
        f"solver='lbfgs', alpha={ALPHA:g}, tol=0, max_iter={args.iterations}, "
        f"n_hidden={args.hidden}), {args.repeats} interleaved repeats, medians. "
        f"Per-iteration ratio {ratio:.2f} (goal: at most 1.5, "
        f"{'met' if ratio <= 1.5 else 'NOT met'}).\n\n" + markdown(rows, COLUMNS) + "\n"
    )
    print(text)
    write_csv(rows, args.csv, [key for key, _, _ in COLUMNS])
    print(f"CSV: {args.csv}")
    if args.markdown:
        os.makedirs(os.path.dirname(args.markdown) or ".", exist_ok=True)
        with open(args.markdown, "w") as handle:
            handle.write(text)
        print(f"Markdown: {args.markdown}")
    return rows


if __name__ == "__main__":
    main()
