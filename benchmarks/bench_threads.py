"""Thread scaling of a fit: n_jobs=1 against n_jobs=2, for lm and lbfgs.

Friedman #1 (noise 1, X standardised), 20,000 x 10 float64 training rows, 20
hidden units, ``alpha=1e-4`` (a fixed penalty: ``alpha="auto"``, the
estimator's default, would add its evidence updates), ``tol=0``:
``solver="lm"`` for 20 iterations and ``solver="lbfgs"`` for 200. For each
solver the fits with each ``n_jobs`` are interleaved (1 2 2 1 1 2 ..., so that
neither always goes first), at least 5 repeats each, and the table gives the
median fit time, the time per iteration, the ratio of the medians to the
1-thread median (below 1: the threads help), the median of the per-repeat
ratios (each 2-thread fit against the 1-thread fit next to it) and whether
every fit's predictions on the test rows and loss curve are identical, bit for
bit, to the first 1-thread fit's (the estimator promises the same numbers for
every ``n_jobs``). "blocks" is the number of row blocks of the kernel: threads
can share no fewer than two. "steal %" is the share of the CPUs' time the
hypervisor gave to other guests meanwhile, "others %" the share other
processes on this machine used (Linux): either makes the second thread worth
less. "quiet" counts the repeats during which other processes used less than
``QUIET_OTHERS`` of the CPUs, and "quiet paired" is the median of their paired
ratios (on a shared machine, the scaling the code allows).

Usage::

    python benchmarks/bench_threads.py           # full (~2 minutes)
    python benchmarks/bench_threads.py --quick   # smoke run (seconds)

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
from _machine import cpu_times, others_share, steal_share
from _output import machine, markdown, write_csv
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import NetworkKernel, ParameterLayout, SigmoidMLPRegressor

N_HIDDEN = 20
ALPHA = 1e-4
QUIET_OTHERS = 0.10  # a repeat is quiet below this share of other processes


def friedman(n_rows, n_test):
    """Friedman #1 (noise 1), X standardised on the training rows."""
    X, y = make_friedman1(n_samples=n_rows + n_test, noise=1.0, random_state=0)
    X = StandardScaler().fit(X[:n_rows]).transform(X)
    return X[:n_rows], y[:n_rows], X[n_rows:]


def n_blocks(X):
    """Row blocks the kernel cuts X into (its public ``n_blocks``)."""
    with NetworkKernel(X, layout=ParameterLayout(X.shape[1], N_HIDDEN, 1)) as kernel:
        return kernel.n_blocks


def measure(solver, max_iter, thread_counts, repeats, X, y, X_test):
    """Rows of the table for one solver: one per thread count."""
    times = {n_jobs: [] for n_jobs in thread_counts}
    same_predictions = dict.fromkeys(thread_counts, True)
    same_curve = dict.fromkeys(thread_counts, True)
    iterations = {}
    reference = None  # (test predictions, loss curve) of the first fit
    quiet = []  # whether other processes were quiet during each repeat
    before = cpu_times()
    for repeat in range(repeats):
        repeat_start = cpu_times()
        # 1 2, 2 1, 1 2, ...: neither thread count always runs first.
        order = thread_counts if repeat % 2 == 0 else thread_counts[::-1]
        for n_jobs in order:
            model = SigmoidMLPRegressor(
                n_hidden=N_HIDDEN,
                solver=solver,
                alpha=ALPHA,
                max_iter=max_iter,
                tol=0,
                random_state=0,
                n_jobs=n_jobs,
            )
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X, y)
            times[n_jobs].append(time.perf_counter() - start)
            iterations[n_jobs] = model.n_iter_
            predictions, curve = model.predict(X_test), np.array(model.loss_curve_)
            if reference is None:
                reference = predictions, curve
            same_predictions[n_jobs] &= bool(np.array_equal(predictions, reference[0]))
            same_curve[n_jobs] &= bool(np.array_equal(curve, reference[1]))
        repeat_others = others_share(repeat_start, cpu_times())
        quiet.append(bool(repeat_others < QUIET_OTHERS))
        print(
            f"{solver}: "
            + ", ".join(f"n_jobs={n} {times[n][-1]:.3f} s" for n in order)
            + f", others {100 * repeat_others:.0f}%",
            file=sys.stderr,
            flush=True,
        )
    after = cpu_times()
    steal, others = steal_share(before, after), others_share(before, after)
    base = thread_counts[0]
    base_median = statistics.median(times[base])
    blocks = n_blocks(X)
    rows = []
    for n_jobs in thread_counts:
        fit_time = statistics.median(times[n_jobs])
        paired = [t / t1 for t, t1 in zip(times[n_jobs], times[base], strict=True)]
        quiet_paired = [ratio for ratio, q in zip(paired, quiet, strict=True) if q]
        rows.append(
            {
                "solver": solver,
                "rows": X.shape[0],
                "features": X.shape[1],
                "hidden": N_HIDDEN,
                "iterations": iterations[n_jobs],
                "blocks": blocks,
                "n_jobs": n_jobs,
                "repeats": len(times[n_jobs]),
                "fit_s": fit_time,
                "fit_s_min": min(times[n_jobs]),
                "fit_s_max": max(times[n_jobs]),
                "ms_per_iter": 1e3 * fit_time / max(1, iterations[n_jobs]),
                "ratio_to_1_thread": fit_time / base_median,
                "paired_ratio_median": statistics.median(paired),
                "quiet_repeats": len(quiet_paired),
                "quiet_paired_ratio_median": (
                    statistics.median(quiet_paired) if quiet_paired else float("nan")
                ),
                "same_predictions": same_predictions[n_jobs],
                "same_loss_curve": same_curve[n_jobs],
                "steal_percent": 100 * steal,
                "others_percent": 100 * others,
            }
        )
    return rows


COLUMNS = [
    ("solver", "solver", "{}"),
    ("rows", "rows", "{}"),
    ("features", "features", "{}"),
    ("hidden", "hidden", "{}"),
    ("iterations", "iters", "{}"),
    ("blocks", "blocks", "{}"),
    ("n_jobs", "n_jobs", "{}"),
    ("repeats", "repeats", "{}"),
    ("fit_s", "fit s", "{:.3f}"),
    ("fit_s_min", "min s", "{:.3f}"),
    ("fit_s_max", "max s", "{:.3f}"),
    ("ms_per_iter", "ms/iter", "{:.2f}"),
    ("ratio_to_1_thread", "x 1 thread", "{:.3f}"),
    ("paired_ratio_median", "paired x 1 thread", "{:.3f}"),
    ("quiet_repeats", "quiet", "{}"),
    ("quiet_paired_ratio_median", "quiet paired", "{:.3f}"),
    ("same_predictions", "same predictions", "{}"),
    ("same_loss_curve", "same loss curve", "{}"),
    ("steal_percent", "steal %", "{:.0f}"),
    ("others_percent", "others %", "{:.0f}"),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--rows", type=int, default=20_000, help="training rows")
    parser.add_argument(
        "--repeats", type=int, default=7, help="interleaved repeats (7; at least 5)"
    )
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="n_jobs values (1 2)"
    )
    parser.add_argument("--csv", default="benchmarks/results/bench_threads.csv")
    parser.add_argument("--markdown", help="also write the Markdown to this file")
    args = parser.parse_args(argv)
    iterations = {"lm": 20, "lbfgs": 200}
    if args.quick:
        # 8000 rows: two row blocks at 20 hidden units, so threads can share.
        args.rows, args.repeats = 8000, 3
        iterations = {"lm": 5, "lbfgs": 20}
    X, y, X_test = friedman(args.rows, n_test=1000)
    rows = []
    for solver, max_iter in iterations.items():
        rows += measure(solver, max_iter, args.threads, args.repeats, X, y, X_test)
    text = (
        f"Machine: {machine()}\n\n"
        f"Thread scaling: Friedman #1, {args.rows:,} x {X.shape[1]} float64 rows, "
        f"{N_HIDDEN} hidden units, alpha={ALPHA:g}, tol=0, {args.repeats} "
        "interleaved repeats, "
        "medians; 'x 1 thread' is the median's ratio to n_jobs="
        f"{args.threads[0]}'s, 'paired' the median of the per-repeat ratios; "
        "'same ...' is bitwise equality with the first fit.\n\n"
        + markdown(rows, COLUMNS)
        + "\n"
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
