"""Peak memory of a fit beyond the data itself, against MLPRegressor.

Fits 2,000,000 x 10 float32 rows (Friedman #1-like, generated here) with 50
hidden units for a few L-BFGS iterations and reports the peak of what numpy and
Python allocate during ``fit`` (tracemalloc), i.e. memory beyond X and y.
The peak is reached in the first iteration; later iterations allocate nothing
new, so a few iterations measure it. Both models use ``alpha=1e-4``
(MLPRegressor's default), so that the table measures the training kernel;
``--alpha auto`` measures SigmoidMLPRegressor's Bayesian regularisation
instead: at this size its evidence updates and posterior use the
Kronecker-factored curvature (one pass over the data, memory of one row
block), so the peak is that of the training kernel (38.2 MiB on 2,000,000
rows, as with a float alpha; the full matrix's path took 151.6 MiB). Run it
from the repository root with ``PYTHONPATH=.`` to measure a worktree.

Usage::

    python benchmarks/bench_memory.py                 # 2,000,000 rows, both models
    python benchmarks/bench_memory.py --rows 200000 --no-mlp
"""

import argparse
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from sklearn_sigmoidnet import SigmoidMLPRegressor


def make_data(n_rows, seed=0):
    """Friedman #1's formula on uniform inputs, generated in float32 chunks."""
    rng = np.random.default_rng(seed)
    X = rng.random((n_rows, 10), dtype=np.float32)
    y = (
        10 * np.sin(np.pi * X[:, 0] * X[:, 1])
        + 20 * (X[:, 2] - 0.5) ** 2
        + 10 * X[:, 3]
        + 5 * X[:, 4]
    ).astype(np.float64)
    X -= 0.5
    X /= np.float32(np.sqrt(1 / 12))  # standardised
    return X, y


def measure(model, X, y):
    tracemalloc.start()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20, elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--hidden", type=int, default=50)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--no-mlp", action="store_true", help="leave MLPRegressor out")
    parser.add_argument(
        "--alpha",
        default="1e-4",
        help="SigmoidMLPRegressor's alpha: a number or 'auto' (1e-4)",
    )
    args = parser.parse_args(argv)
    X, y = make_data(args.rows)
    data_mb = (X.nbytes + y.nbytes) / 2**20
    print(
        f"{args.rows:,} x {X.shape[1]} float32 rows, {args.hidden} hidden units, "
        f"{args.iterations} L-BFGS iterations; data: {data_mb:.1f} MiB"
    )
    print("| model | peak MiB beyond the data | fit s |")
    print("|---|---|---|")
    alpha = args.alpha if args.alpha == "auto" else float(args.alpha)
    models = [
        SigmoidMLPRegressor(
            n_hidden=args.hidden,
            alpha=alpha,
            max_iter=args.iterations,
            tol=0,
            random_state=0,
        )
    ]
    if not args.no_mlp:
        models.append(
            MLPRegressor(
                hidden_layer_sizes=(args.hidden,),
                activation="logistic",
                solver="lbfgs",
                alpha=1e-4,
                max_iter=args.iterations,
                tol=0,
                random_state=0,
            )
        )
    results = {}
    for model in models:
        peak, elapsed = measure(model, X, y)
        results[type(model).__name__] = peak
        print(f"| {type(model).__name__} | {peak:.1f} | {elapsed:.2f} |")
    return results


if __name__ == "__main__":
    main()
