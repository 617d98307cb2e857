"""Time per iteration of an L-BFGS fit on a dask cluster against in memory.

Friedman #1 (noise 1, X standardised), 2,000,000 x 10 float64 rows, 50 hidden
units, ``alpha=1e-4``, L-BFGS for ``--iterations`` iterations (``tol=0``)
from the same Glorot weights, put together from the public pieces as the
estimator does (a target map onto (0.2, 0.8), an ``Objective`` on the kernel
with the constant-prediction loss as ``loss_scale``; the rows in the order
given, no canonical order):

- ``memory``: ``NetworkKernel(n_threads=2)`` in this process;
- ``dask``: ``DaskNetworkKernel`` on a ``LocalCluster`` of 2 worker processes
  with 1 thread each, the rows in ``--chunks`` chunks whose kernels are built
  once and kept on the workers;
- ``dask, built per call`` (``--uncached`` to include it): the same chunks
  persisted as plain arrays, a ``NetworkKernel`` built on every chunk at
  every evaluation (what the cache saves).

The fits of each kind are interleaved (memory dask dask memory ...), and the
table gives medians: fit time, evaluations of the loss and gradient, time
per iteration and per evaluation, its ratio to the in-memory median and the
median of the per-repeat ratios, the time to build the dask kernel (ship the
chunks, build their kernels), and the largest relative difference of the
final weights from the in-memory fit's (L-BFGS amplifies the last-bit
differences of the two kernels' sums; the dask fits agree with each other
bit for bit). "steal %" is the share of the CPUs' time the hypervisor gave
to other guests (the other processes of a shared machine are not told apart
from the workers here).

Usage::

    python benchmarks/bench_dask.py           # full (~3 minutes)
    python benchmarks/bench_dask.py --quick   # smoke run (seconds)

Writes the Markdown table to stdout (and to ``--markdown FILE``) and a CSV
(``--csv``).
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
from _machine import cpu_times, steal_share
from _output import machine, markdown, write_csv
from sklearn.datasets import make_friedman1

from sklearn_sigmoidnet import (
    NetworkKernel,
    ParameterLayout,
    TargetMapping,
    glorot_uniform,
)
from sklearn_sigmoidnet._data import constant_prediction_loss
from sklearn_sigmoidnet._threads import blas_single_threaded
from sklearn_sigmoidnet.solvers import Objective, lbfgs

OUTPUT_RANGE = (0.2, 0.8)
ALPHA = 1e-4


def friedman(n_rows):
    """Friedman #1 (noise 1), X standardised; y on the network's scale."""
    X, y = make_friedman1(n_samples=n_rows, noise=1.0, random_state=0)
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    mapping = TargetMapping.fit(y, OUTPUT_RANGE)
    return X, mapping.to_network(y[:, None])


def objective(kernel, loss_scale, counter):
    def loss_gradient(theta, gradient):
        counter[0] += 1
        return kernel.loss_gradient(theta, gradient)[0]

    return Objective(
        loss_gradient,
        n_parameters=kernel.layout.n_parameters,
        loss=kernel.loss,
        loss_scale=loss_scale,
    )


def fit(kernel, loss_scale, theta, iterations):
    """``(seconds, result, evaluations)`` of one L-BFGS fit."""
    counter = [0]
    start = time.perf_counter()
    with blas_single_threaded():
        result = lbfgs(
            objective(kernel, loss_scale, counter),
            theta,
            max_iter=iterations,
            tol=0,
        )
    return time.perf_counter() - start, result, counter[0]


def _uncached_loss_gradient(X, Y, layout, theta):
    """One chunk's unnormalised sums, from a kernel built for this call."""
    with NetworkKernel(X, Y, layout=layout) as kernel, blas_single_threaded():
        loss, gradient = kernel.loss_gradient(theta, np.empty(layout.n_parameters))
    return loss * len(X), gradient * len(X)


class UncachedKernel:
    """The dask kernel's map-reduce, but a NetworkKernel built per chunk at
    every call (on chunks persisted as plain arrays), for the comparison."""

    def __init__(self, client, X, Y, layout, alpha):
        from distributed import wait

        self.client, self.layout = client, layout
        self.X = client.persist(X).to_delayed().ravel()
        self.Y = client.persist(Y).to_delayed().ravel()
        self.X = client.compute(list(self.X))
        self.Y = client.compute(list(self.Y))
        wait(self.X + self.Y)
        self.n, self.alpha = X.shape[0], alpha
        self.mask = layout.penalty_mask()

    def loss_gradient(self, theta, gradient):
        futures = self.client.map(
            _uncached_loss_gradient,
            self.X,
            self.Y,
            [self.layout] * len(self.X),
            [theta] * len(self.X),
            pure=False,
        )
        squared, summed = 0.0, np.zeros(self.layout.n_parameters)
        for loss, part in self.client.gather(futures):
            squared += loss
            summed += part
        gradient[...] = summed / self.n + self.alpha / self.n * (theta * self.mask)
        penalty = 0.5 * self.alpha / self.n * float(np.vdot(theta * self.mask, theta))
        return squared / self.n + penalty, gradient

    def loss(self, theta):
        return self.loss_gradient(theta, np.empty(self.layout.n_parameters))[0]

    def close(self):
        for future in self.X + self.Y:
            future.release()


def measure(args):
    import dask.array as da
    from distributed import Client, LocalCluster

    from sklearn_sigmoidnet._dask import DaskNetworkKernel

    X, Y = friedman(args.rows)
    layout = ParameterLayout(X.shape[1], args.hidden, 1)
    theta = glorot_uniform(layout, np.random.RandomState(0))
    loss_scale = constant_prediction_loss(Y, None, OUTPUT_RANGE)
    chunk_rows = -(-args.rows // args.chunks)
    kinds = ["memory", "dask"] + (["dask, built per call"] if args.uncached else [])
    times = {kind: [] for kind in kinds}
    evaluations, iterations, thetas = {}, {}, {}
    same_dask_bits = True
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
        start = time.perf_counter()
        dask_kernel = DaskNetworkKernel(
            da.from_array(X, chunks=(chunk_rows, -1)),
            da.from_array(Y, chunks=(chunk_rows, -1)),
            layout=layout,
            alpha=ALPHA,
            client=client,
        )
        build_s = time.perf_counter() - start
        dask_scale = dask_kernel.constant_prediction_loss(OUTPUT_RANGE)
        kernels = {
            "memory": NetworkKernel(
                X, Y, layout=layout, alpha=ALPHA, n_threads=args.threads
            ),
            "dask": dask_kernel,
        }
        scales = {"memory": loss_scale, "dask": dask_scale}
        if args.uncached:
            kernels["dask, built per call"] = UncachedKernel(
                client,
                da.from_array(X, chunks=(chunk_rows, -1)),
                da.from_array(Y, chunks=(chunk_rows, -1)),
                layout,
                ALPHA,
            )
            scales["dask, built per call"] = loss_scale
        before = cpu_times()
        try:
            for repeat in range(args.repeats):
                order = kinds if repeat % 2 == 0 else kinds[::-1]
                for kind in order:
                    seconds, result, calls = fit(
                        kernels[kind], scales[kind], theta, args.iterations
                    )
                    times[kind].append(seconds)
                    evaluations[kind], iterations[kind] = calls, result.n_iter
                    if kind == "dask" and kind in thetas:
                        same_dask_bits &= bool(
                            np.array_equal(result.theta, thetas[kind])
                        )
                    thetas[kind] = result.theta
                print(
                    f"repeat {repeat}: "
                    + ", ".join(f"{kind} {times[kind][-1]:.2f} s" for kind in order),
                    file=sys.stderr,
                    flush=True,
                )
        finally:
            for kernel in kernels.values():
                kernel.close()
        steal = steal_share(before, cpu_times())
    base = statistics.median([t / iterations["memory"] for t in times["memory"]])
    rows = []
    for kind in kinds:
        per_iteration = [t / max(1, iterations[kind]) for t in times[kind]]
        paired = [
            t / t_memory
            for t, t_memory in zip(times[kind], times["memory"], strict=True)
        ]
        reference = thetas["memory"]
        rows.append(
            {
                "kernel": kind,
                "rows": args.rows,
                "features": X.shape[1],
                "hidden": args.hidden,
                "chunks": 1 if kind == "memory" else args.chunks,
                "workers": 1 if kind == "memory" else args.workers,
                "threads": args.threads if kind == "memory" else 1,
                "iterations": iterations[kind],
                "evaluations": evaluations[kind],
                "repeats": len(times[kind]),
                "fit_s": statistics.median(times[kind]),
                "ms_per_iter": 1e3 * statistics.median(per_iteration),
                "ms_per_eval": 1e3
                * statistics.median(times[kind])
                / max(1, evaluations[kind]),
                "ratio_to_memory": statistics.median(per_iteration) / base,
                "paired_ratio_median": statistics.median(paired),
                "build_s": build_s if kind == "dask" else float("nan"),
                "max_rel_weight_diff": float(
                    np.max(np.abs(thetas[kind] - reference)) / np.max(np.abs(reference))
                ),
                "same_bits_every_repeat": same_dask_bits if kind == "dask" else True,
                "steal_percent": 100 * steal if steal is not None else float("nan"),
            }
        )
    return rows


COLUMNS = [
    ("kernel", "kernel", "{}"),
    ("rows", "rows", "{:,}"),
    ("features", "features", "{}"),
    ("hidden", "hidden", "{}"),
    ("chunks", "chunks", "{}"),
    ("workers", "workers", "{}"),
    ("threads", "threads each", "{}"),
    ("iterations", "iters", "{}"),
    ("evaluations", "evals", "{}"),
    ("repeats", "repeats", "{}"),
    ("fit_s", "fit s", "{:.2f}"),
    ("ms_per_iter", "ms/iter", "{:.1f}"),
    ("ms_per_eval", "ms/eval", "{:.1f}"),
    ("ratio_to_memory", "x memory", "{:.3f}"),
    ("paired_ratio_median", "paired x memory", "{:.3f}"),
    ("build_s", "build s", "{:.2f}"),
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
        "--threads", type=int, default=2, help="in-memory kernel's threads (2)"
    )
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats")
    parser.add_argument(
        "--uncached", action="store_true", help="also time kernels built per call"
    )
    parser.add_argument("--csv", default="benchmarks/results/bench_dask.csv")
    parser.add_argument("--markdown", help="also write the Markdown to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.hidden, args.chunks = 20_000, 8, 4
        args.iterations, args.repeats = 3, 2
    rows = measure(args)
    text = (
        f"Machine: {machine()}\n\n"
        f"Dask against memory: Friedman #1, {args.rows:,} x 10 float64 rows, "
        f"{args.hidden} hidden units, alpha={ALPHA:g}, L-BFGS for "
        f"{args.iterations} iterations (tol=0), {args.repeats} interleaved "
        "repeats, medians; 'x memory' is the ratio of the medians of the time "
        "per iteration, 'paired' the median of the per-repeat ratios of fit "
        "times.\n\n" + markdown(rows, COLUMNS) + "\n"
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
