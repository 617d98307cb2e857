"""Training error against wall time: Levenberg-Marquardt, L-BFGS, gradient descent
and MLPRegressor, on small problems where LM is meant to shine.

Problems (alpha = 0, 20 hidden units, standardised X): noise-free Friedman #1
(2000 training rows, 10 features) and scikit-learn's diabetes data (442 x 10).
For every solver and seed, fits with a growing ``max_iter`` trace training MSE
(in y's units) against fit time; the table gives, per time budget, the lowest
training MSE a fit reached within it, and the test R^2 of the best lm fit.

``--dampings`` compares the diagonal ``D`` of lm's damping term ``mu D`` (every
value of ``sklearn_sigmoidnet.solvers.DAMPINGS``) and L-BFGS. The estimator
has no damping option, so those lm fits are put together from the public
pieces, as the estimator does: a ``NetworkKernel`` on the standardised X and
y mapped onto the network's scale (``MinMaxTarget``, the estimator's default
target map written out), an ``Objective`` on it, the initial weights from
``glorot_uniform`` with the fit's seed, and
``levenberg_marquardt(objective, theta, max_iter=..., tol=0, damping=d)``
with BLAS limited to one thread. One difference from the estimator: the
samples stay in the order given (the estimator trains on a canonical order),
so the last bits of a trajectory can differ from ``solver="lm"``'s. Every
other fit (lbfgs, gd, MLPRegressor, plain lm) goes through the estimator.

Usage::

    python benchmarks/bench_lm.py               # full (~3 minutes)
    python benchmarks/bench_lm.py --quick       # smoke run
    python benchmarks/bench_lm.py --dampings    # compare lm's damping choices

Writes the Markdown table to stdout (and to ``--markdown FILE``), a CSV
(``--csv``; by default ``benchmarks/results/bench_lm.csv``, or
``bench_lm_dampings.csv`` with ``--dampings``) and, with matplotlib, a plot.
"""

import argparse
import os
import time
import warnings

import numpy as np
from _output import pyplot, write_csv
from _targets import MinMaxTarget
from joblib import cpu_count
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_sigmoidnet import (
    NetworkKernel,
    ParameterLayout,
    SigmoidMLPRegressor,
    glorot_uniform,
)
from sklearn_sigmoidnet.solvers import DAMPINGS, Objective, levenberg_marquardt

N_HIDDEN = 20
# The estimator's default n_jobs=None: every CPU this process may use.
N_THREADS = max(1, int(cpu_count(only_physical_cores=False)))


def problems(quick):
    X, y = make_friedman1(n_samples=2500, noise=0.0, random_state=0)
    n = 300 if quick else 2000
    scaler = StandardScaler().fit(X[:n])
    yield (
        "friedman1 noise-free",
        scaler.transform(X[:n]),
        y[:n],
        scaler.transform(X[2000:]),
        y[2000:],
    )
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    yield "diabetes", X, y, None, None


class DampedLM:
    """Levenberg-Marquardt with a chosen damping, from the public solver API.

    The same network, alpha (0), target map and initial weights as
    ``SigmoidMLPRegressor(n_hidden=N_HIDDEN, solver="lm", alpha=0,
    random_state=seed)``; ``fit``, ``predict``, ``score``, ``n_iter_`` and
    ``max_iter`` as the estimator's.
    """

    def __init__(self, damping, seed, max_iter):
        self.damping, self.seed, self.max_iter = damping, seed, max_iter

    def fit(self, X, y):
        X = np.ascontiguousarray(X, dtype=np.float64)
        Y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
        self.target_ = MinMaxTarget(Y)
        self.layout_ = layout = ParameterLayout(X.shape[1], N_HIDDEN, 1)
        theta = glorot_uniform(layout, np.random.RandomState(self.seed))
        with (
            NetworkKernel(
                X,
                self.target_.to_network(Y),
                None,
                layout=layout,
                alpha=0.0,
                n_threads=N_THREADS,
            ) as kernel,
            threadpool_limits(1, "blas"),
        ):
            objective = Objective(
                lambda t, g: kernel.loss_gradient(t, g)[0],
                n_parameters=layout.n_parameters,
                loss=kernel.loss,
                normal_equations=kernel.normal_equations,
            )
            result = levenberg_marquardt(
                objective, theta, max_iter=self.max_iter, tol=0, damping=self.damping
            )
        self.theta_, self.n_iter_ = result.theta, result.n_iter
        return self

    def predict(self, X):
        X = np.ascontiguousarray(X, dtype=np.float64)
        with (
            NetworkKernel(X, layout=self.layout_, n_threads=N_THREADS) as kernel,
            threadpool_limits(1, "blas"),
        ):
            outputs = kernel.predict(self.theta_)
        return self.target_.to_target(outputs).ravel()

    def score(self, X, y):
        residual = np.asarray(y, dtype=np.float64) - self.predict(X)
        return 1 - np.sum(residual**2) / np.sum((y - np.mean(y)) ** 2)


def make_model(solver, seed, max_iter):
    """A model for ``solver``: "lm:<damping>" is a :class:`DampedLM`, every
    other name an estimator."""
    name, _, damping = solver.partition(":")
    if damping:
        return DampedLM(damping, seed, max_iter)
    if solver == "MLPRegressor":
        return MLPRegressor(
            hidden_layer_sizes=(N_HIDDEN,),
            activation="logistic",
            solver="lbfgs",
            alpha=0.0,
            max_iter=max_iter,
            max_fun=10**9,
            tol=0,
            random_state=seed,
        )
    return SigmoidMLPRegressor(
        n_hidden=N_HIDDEN,
        solver=name,
        alpha=0.0,
        max_iter=max_iter,
        tol=0,
        random_state=seed,
    )


def trace(solver, seed, X, y, iteration_grid, time_limit):
    """(seconds, training MSE, model) for each max_iter of the grid, until a fit
    takes longer than ``time_limit`` or stops before its ``max_iter``."""
    points = []
    for max_iter in iteration_grid:
        if points:
            seconds, _, last = points[-1]
            if seconds > time_limit or last.n_iter_ < last.max_iter:
                break  # past the budgets, or converged: more iterations add nothing
        model = make_model(solver, seed, max_iter)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        elapsed = time.perf_counter() - start
        mse = float(np.mean((model.predict(X) - y) ** 2))
        points.append((elapsed, mse, model))
    return points


def best_within(points, budget):
    reached = [mse for seconds, mse, _ in points if seconds <= budget]
    return min(reached) if reached else float("nan")


def markdown(rows):
    """The table of ``rows`` in Markdown (floats to 4 significant digits)."""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    for row in rows:
        cells = [
            f"{row[key]:.4g}" if isinstance(row[key], float) else str(row[key])
            for key in keys
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dampings", action="store_true", help="compare lm dampings")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--csv", help="CSV output path")
    parser.add_argument("--markdown", help="also write the Markdown to this file")
    parser.add_argument("--plot", help="PNG output path")
    args = parser.parse_args(argv)
    name = "bench_lm_dampings" if args.dampings else "bench_lm"
    args.csv = args.csv or f"benchmarks/results/{name}.csv"
    args.plot = args.plot or f"benchmarks/results/{name}.png"
    if args.dampings:
        solvers = [f"lm:{damping}" for damping in DAMPINGS] + ["lbfgs"]
    else:
        solvers = ["lm", "lbfgs", "gd", "MLPRegressor"]
    grids = {
        "lm": [2, 5, 10, 20, 40, 80, 150, 300, 600, 1200],
        "lbfgs": [10, 30, 100, 300, 1000, 3000, 10000, 30000],
        "gd": [100, 300, 1000, 3000, 10000, 30000],
        "MLPRegressor": [10, 30, 100, 300, 1000, 3000, 10000],
    }
    budgets = [0.1, 0.3, 1.0, 3.0]
    if args.quick:
        grids = {key: value[:2] for key, value in grids.items()}
        budgets = [1.0]
        args.seeds = 1
    rows, traces = [], {}
    for problem, X, y, X_test, y_test in problems(args.quick):
        for seed in range(args.seeds):
            for solver in solvers:
                grid = grids[solver.partition(":")[0]]
                points = trace(solver, seed, X, y, grid, max(budgets))
                traces[(problem, seed, solver)] = points
                best_model = min(points, key=lambda point: point[1])[2]
                row = {"problem": problem, "seed": seed, "solver": solver}
                for budget in budgets:
                    row[f"mse@{budget}s"] = best_within(points, budget)
                row["test_r2"] = (
                    best_model.score(X_test, y_test)
                    if X_test is not None
                    else float("nan")
                )
                rows.append(row)
    text = (
        "Training MSE (y's units) reached within each time budget; lower is "
        f"better. {N_HIDDEN} hidden units, alpha = 0"
        + (
            "; lm:<damping> is levenberg_marquardt(..., damping=<damping>) on "
            f"a NetworkKernel with {N_THREADS} thread(s)."
            if args.dampings
            else "."
        )
        + "\n\n"
        + markdown(rows)
        + "\n"
    )
    print(text)
    write_csv(rows, args.csv, list(rows[0]))
    print(f"CSV: {args.csv}")
    if args.markdown:
        os.makedirs(os.path.dirname(args.markdown) or ".", exist_ok=True)
        with open(args.markdown, "w") as handle:
            handle.write(text)
        print(f"Markdown: {args.markdown}")
    _plot(traces, args.plot)
    return rows


def _plot(traces, path):
    plt = pyplot()
    if plt is None:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return
    problems_seen = list(dict.fromkeys(problem for problem, _, _ in traces))
    figure, axes = plt.subplots(
        1, len(problems_seen), figsize=(5 * len(problems_seen), 4)
    )
    axes = np.atleast_1d(axes)
    for axis, problem in zip(axes, problems_seen, strict=True):
        for (name, seed, solver), points in traces.items():
            if name != problem or seed != 0:
                continue
            seconds, mse = zip(*[(p[0], p[1]) for p in points], strict=True)
            axis.loglog(seconds, mse, marker="o", label=solver)
        axis.set_title(f"{problem} (seed 0)")
        axis.set_xlabel("fit time (s)")
        axis.set_ylabel("training MSE")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"Plot: {path}")


if __name__ == "__main__":
    main()
