"""Training error against wall time: Levenberg-Marquardt, L-BFGS, gradient descent
and MLPRegressor, on small problems where LM is meant to shine.

Problems (alpha = 0, 20 hidden units, standardised X): noise-free Friedman #1
(2000 training rows, 10 features) and scikit-learn's diabetes data (442 x 10).
For every solver and seed, fits with a growing ``max_iter`` trace training MSE
(in y's units) against fit time; the table gives, per time budget, the lowest
training MSE a fit reached within it, and the test R^2 of the best lm fit.

Usage::

    python benchmarks/bench_lm.py               # full (~3 minutes)
    python benchmarks/bench_lm.py --quick       # smoke run
    python benchmarks/bench_lm.py --dampings    # compare lm's damping choices
"""

import argparse
import csv
import os
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler

import sklearn_sigmoidnet._estimator as estimator_module
from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet._plotting import MISSING, pyplot

N_HIDDEN = 20


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


def make_model(solver, seed, max_iter):
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
    name, _, damping = solver.partition(":")
    return SigmoidMLPRegressor(
        n_hidden=N_HIDDEN,
        solver=name,
        alpha=0.0,
        max_iter=max_iter,
        tol=0,
        random_state=seed,
    ), damping or None


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
        damping = None
        if isinstance(model, tuple):
            model, damping = model
        previous = estimator_module._LM_DAMPING
        if damping:
            estimator_module._LM_DAMPING = damping
        try:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X, y)
            elapsed = time.perf_counter() - start
        finally:
            estimator_module._LM_DAMPING = previous
        mse = float(np.mean((model.predict(X) - y) ** 2))
        points.append((elapsed, mse, model))
    return points


def best_within(points, budget):
    reached = [mse for seconds, mse, _ in points if seconds <= budget]
    return min(reached) if reached else float("nan")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dampings", action="store_true", help="compare lm dampings")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--csv", default="benchmarks/results/bench_lm.csv")
    parser.add_argument("--plot", default="benchmarks/results/bench_lm.png")
    args = parser.parse_args(argv)
    if args.dampings:
        solvers = ["lm:hybrid", "lm:marquardt", "lm:identity", "lbfgs"]
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
    keys = list(rows[0])
    print(
        "Training MSE (y's units) reached within each time budget; lower is better.\n"
    )
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        cells = [
            f"{row[key]:.4g}" if isinstance(row[key], float) else str(row[key])
            for key in keys
        ]
        print("| " + " | ".join(cells) + " |")
    os.makedirs(os.path.dirname(args.csv) or ".", exist_ok=True)
    with open(args.csv, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nCSV: {args.csv}")
    _plot(traces, args.plot)
    return rows


def _plot(traces, path):
    plt = pyplot()
    if plt is None:
        print(MISSING)
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
    print(f"Plot: {path}")


if __name__ == "__main__":
    main()
