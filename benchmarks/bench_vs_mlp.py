"""SigmoidMLPRegressor against MLPRegressor (and PyTorch, when importable).

Fits every model on the same data in one run, interleaved (A B C A B C ...),
several repeats, and reports medians and ratios: fit time, time per L-BFGS
iteration, its ratio to MLPRegressor's, test R^2, and peak memory. For each
workload it also measures the "floor", the work no implementation can skip
(the four matrix products of one loss+gradient evaluation and one tanh pass
over the N x n_hidden hidden activations, each on all cores), and reports our
kernel's time per evaluation as a multiple of it. On Linux it also reports
the share of CPU time the hypervisor took for other guests ("steal") while the
workload's fits ran: on a shared virtual machine that is what makes threaded
code slow from one run to the next; and "others %", the share of the CPUs'
time that other processes on the machine used meanwhile (a fit on two
threads loses most when something else takes a core).

Same dtypes for every model: in a float32 workload every model gets float32 X
*and* float32 y (and float64 X and y in a float64 workload). MLPRegressor
given float32 X with float64 y runs about 1.3-1.5x slower per iteration than
with float32 y, which would flatter our ratio; the table's "y dtype" column
is read off the arrays actually passed to ``fit``.

The layouts workload (``--layouts``; a tiny version runs in ``--quick``) fits
SigmoidMLPRegressor (20 hidden units, 100 L-BFGS iterations, ``tol=0``) on
the same Friedman #1 data held in four memory layouts: C order, Fortran order
(``np.asfortranarray``), a non-contiguous view (every other column of
``np.repeat(X, 2, axis=1)``) and a ``np.memmap`` written to a temporary
directory. At the default 900,000 x 10 float64 rows, ``[X, 1]`` takes 75.5 MiB,
past the 64 MiB up to which the kernel copies its inputs whatever their layout,
so layouts matter there. It reports fit time and time per iteration per
layout (interleaved, medians), their ratios to C order, and whether every
layout's fit predicts exactly (bit for bit) what the C-ordered fit predicts,
on the test rows and on the layout's own training rows.

Usage::

    python benchmarks/bench_vs_mlp.py            # the full table (~10 minutes)
    python benchmarks/bench_vs_mlp.py --quick    # a smoke run (seconds)
    python benchmarks/bench_vs_mlp.py --rows 20000 200000 --hidden 50
    python benchmarks/bench_vs_mlp.py --layouts  # memory layouts (~5 minutes)

Writes Markdown to stdout (and to ``--markdown FILE``), one CSV per table
(``--csv PATH`` for the model table, ``PATH`` with ``_layouts`` before its
suffix for the layouts table) and, when matplotlib is installed, a PNG of time
per iteration against rows (``--plot``).

Only the public API is used: the estimator, and for the kernel timing
``NetworkKernel(...).loss_gradient`` with BLAS limited to one thread through
threadpoolctl, as the estimator does while it fits. PyTorch starts from
``glorot_uniform(ParameterLayout(...), np.random.RandomState(0))``, the weights
SigmoidMLPRegressor(random_state=0) starts from, and its targets go through
the estimator's default target map, written out below (``MinMaxTarget``).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from _machine import cpu_times, others_share, steal_share
from _output import machine, markdown, pyplot, table_row, write_csv
from _targets import MinMaxTarget
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

N_CORES = os.cpu_count() or 1
ALPHA = 1e-4
DTYPE_NOTE = (
    "Data types: every model gets X and y in the workload's dtype "
    "(float32 rows: float32 X and float32 y for all models)."
)


# --------------------------------------------------------------------- data
def friedman(n_rows, dtype, n_test=5000):
    """Friedman #1 (noise 1), X standardised on the training rows; X and y
    both in ``dtype``."""
    X, y = make_friedman1(n_samples=n_rows + n_test, noise=1.0, random_state=0)
    scaler = StandardScaler().fit(X[:n_rows])
    X = scaler.transform(X).astype(dtype)
    y = y.astype(dtype)
    return X[:n_rows], y[:n_rows], X[n_rows:], y[n_rows:]


def diabetes(dtype):
    X, y = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, test = order[:332], order[332:]
    scaler = StandardScaler().fit(X[train])
    X = scaler.transform(X).astype(dtype)
    y = y.astype(dtype)
    return X[train], y[train], X[test], y[test]


# ------------------------------------------------------------------- models
def r2_score(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_true.shape)
    return 1 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2)


class Ours:
    name = "SigmoidMLPRegressor"

    def __init__(self, n_hidden, max_iter):
        self.model = SigmoidMLPRegressor(
            n_hidden=n_hidden, alpha=ALPHA, max_iter=max_iter, tol=0, random_state=0
        )

    def fit(self, X, y):
        self.model.fit(X, y)
        return self.model.n_iter_

    def predict(self, X):
        return self.model.predict(X)


class MLP:
    name = "MLPRegressor"

    def __init__(self, n_hidden, max_iter):
        self.model = MLPRegressor(
            hidden_layer_sizes=(n_hidden,),
            activation="logistic",
            solver="lbfgs",
            alpha=ALPHA,
            max_iter=max_iter,
            max_fun=10**9,
            tol=0,
            random_state=0,
        )

    def fit(self, X, y):
        self.model.fit(X, y)
        return self.model.n_iter_

    def predict(self, X):
        return self.model.predict(X)


class Torch:
    """The same network, loss, target map and initial weights, with
    torch.optim.LBFGS."""

    name = "PyTorch LBFGS"

    def __init__(self, n_hidden, max_iter):
        self.n_hidden = n_hidden
        self.max_iter = max_iter

    def fit(self, X, y):
        import torch

        torch.set_num_threads(N_CORES)
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        Y = y.reshape(-1, 1)
        self.target = MinMaxTarget(Y)
        X_t = torch.from_numpy(X)
        Y_t = torch.from_numpy(self.target.to_network(Y, dtype=X.dtype))
        # The initial weights of SigmoidMLPRegressor(random_state=0).
        layout = ParameterLayout(X.shape[1], self.n_hidden, 1)
        W1, W2 = layout.unpack(glorot_uniform(layout, np.random.RandomState(0)))
        self.W1 = torch.tensor(W1, dtype=dtype, requires_grad=True)
        self.W2 = torch.tensor(W2, dtype=dtype, requires_grad=True)
        n = X.shape[0]
        optimizer = torch.optim.LBFGS(
            [self.W1, self.W2],
            lr=1,
            max_iter=self.max_iter,
            max_eval=10**9,
            tolerance_grad=0,
            tolerance_change=0,
            history_size=10,
            line_search_fn="strong_wolfe",
        )

        def closure():
            optimizer.zero_grad()
            Yhat = self._forward(X_t)
            loss = 0.5 * ((Yhat - Y_t) ** 2).sum() / n + 0.5 * ALPHA / n * (
                (self.W1[:-1] ** 2).sum() + (self.W2[:-1] ** 2).sum()
            )
            loss.backward()
            return loss

        optimizer.step(closure)
        return optimizer.state[optimizer._params[0]]["n_iter"]

    def _forward(self, X_t):
        import torch

        Z = torch.sigmoid(X_t @ self.W1[:-1] + self.W1[-1])
        return torch.sigmoid(Z @ self.W2[:-1] + self.W2[-1])

    def predict(self, X):
        import torch

        with torch.no_grad():
            Yhat = self._forward(torch.from_numpy(X)).numpy()
        return self.target.to_target(Yhat).ravel()


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# -------------------------------------------------------------------- floor
def _median_time(function, repeats, sample_seconds=0.02):
    """Median seconds per call, over ``repeats`` samples of about 20 ms each.

    A sample times a batch of calls, so that a few-millisecond call is not
    judged by single measurements on a noisy machine.
    """
    start = time.perf_counter()
    function()
    batch = max(1, round(sample_seconds / max(time.perf_counter() - start, 1e-9)))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(batch):
            function()
        times.append((time.perf_counter() - start) / batch)
    return statistics.median(times)


def floor_time(n_rows, n_features, n_hidden, dtype, repeats):
    """Seconds for the unavoidable work of one loss+gradient evaluation.

    X W1, Z W2, X^T delta_H, Z^T delta_O with BLAS on all cores, plus one tanh
    pass over the N x n_hidden activations split over all cores.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n_rows, n_features + 1)).astype(dtype)
    W1 = rng.normal(size=(n_features + 1, n_hidden)).astype(dtype)
    H = np.empty((n_rows, n_hidden), dtype=dtype)
    Z = rng.uniform(size=(n_rows, n_hidden + 1)).astype(dtype)
    W2 = rng.normal(size=(n_hidden + 1, 1)).astype(dtype)
    O = np.empty((n_rows, 1), dtype=dtype)
    delta_H = rng.normal(size=(n_rows, n_hidden)).astype(dtype)
    delta_O = rng.normal(size=(n_rows, 1)).astype(dtype)
    products = [
        lambda: np.matmul(X, W1, out=H),
        lambda: np.matmul(Z, W2, out=O),
        lambda: X.T @ delta_H,
        lambda: Z.T @ delta_O,
    ]
    total = sum(_median_time(product, repeats) for product in products)
    pieces = np.array_split(np.arange(n_rows), N_CORES)
    with ThreadPoolExecutor(N_CORES) as pool:

        def tanh_all_cores():
            list(
                pool.map(
                    lambda rows: np.tanh(
                        H[rows[0] : rows[-1] + 1], out=H[rows[0] : rows[-1] + 1]
                    ),
                    pieces,
                )
            )

        total += _median_time(tanh_all_cores, repeats)
    return total


def kernel_time(X, y, n_hidden, repeats):
    """Seconds per loss+gradient evaluation of our kernel (all cores).

    BLAS is limited to one thread, as in the estimator's fit: the kernel
    runs its row blocks on its own threads.
    """
    rng = np.random.default_rng(0)
    layout = ParameterLayout(X.shape[1], n_hidden, 1)
    Y = y.reshape(-1, 1)
    Y = MinMaxTarget(Y).to_network(Y, dtype=X.dtype)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    gradient = np.empty(layout.n_parameters)
    with (
        NetworkKernel(X, Y, layout=layout, alpha=ALPHA, n_threads=N_CORES) as kernel,
        threadpool_limits(1, "blas"),
    ):
        kernel.loss_gradient(theta, gradient)
        return _median_time(lambda: kernel.loss_gradient(theta, gradient), repeats)


def peak_memory_mb(model_class, n_hidden, X, y):
    """Peak traced allocation of a short fit (numpy and Python), in MiB."""
    model = model_class(n_hidden, max_iter=3)
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# -------------------------------------------------------------------- runner
def workloads(quick, only_rows=None, only_hidden=None):
    for workload in _all_workloads(quick):
        _, n_rows, n_hidden, _, _ = workload
        if only_rows and n_rows not in only_rows:
            continue
        if only_hidden and n_hidden not in only_hidden:
            continue
        yield workload


def _all_workloads(quick):
    if quick:
        yield "friedman1", 500, 10, np.float64, 5
        yield "friedman1", 500, 10, np.float32, 5
        yield "diabetes", 332, 10, np.float64, 5
        return
    for n_rows in (2_000, 20_000, 200_000):
        max_iter = 200 if n_rows <= 20_000 else 20
        for n_hidden in (20, 50, 100):
            for dtype in (np.float64, np.float32):
                yield "friedman1", n_rows, n_hidden, dtype, max_iter
    for n_hidden in (20, 50):
        for dtype in (np.float64, np.float32):
            yield "diabetes", 332, n_hidden, dtype, 200


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def run(args):
    models = [Ours, MLP] + ([Torch] if not args.no_torch and torch_available() else [])
    rows = []
    for data, n_rows, n_hidden, dtype, max_iter in workloads(
        args.quick, args.rows, args.hidden
    ):
        if data == "friedman1":
            X, y, X_test, y_test = friedman(
                n_rows, dtype, n_test=1000 if args.quick else 5000
            )
        else:
            X, y, X_test, y_test = diabetes(dtype)
        times = {model.name: [] for model in models}
        iterations = {}
        fitted = {}
        before = cpu_times()
        for _ in range(args.repeats):  # interleaved: A B C A B C ...
            for model_class in models:
                model = model_class(n_hidden, max_iter)
                start = time.perf_counter()
                n_iter = _fit_quietly(model, X, y)
                times[model.name].append(time.perf_counter() - start)
                iterations[model.name] = n_iter
                fitted[model.name] = model
        after = cpu_times()
        steal, others = steal_share(before, after), others_share(before, after)
        floor = floor_time(n_rows, X.shape[1], n_hidden, dtype, 2 * args.repeats + 3)
        kernel = kernel_time(X, y, n_hidden, 2 * args.repeats + 3)
        mlp_per_iter = (
            statistics.median(times["MLPRegressor"]) / iterations["MLPRegressor"]
        )
        for model_class in models:
            name = model_class.name
            fit_time = statistics.median(times[name])
            per_iter = fit_time / max(1, iterations[name])
            memory = (
                peak_memory_mb(model_class, n_hidden, X, y)
                if model_class is not Torch
                else float("nan")
            )
            row = {
                "data": data,
                "rows": n_rows,
                "hidden": n_hidden,
                "dtype": X.dtype.name,
                "y_dtype": y.dtype.name,
                "model": name,
                "iterations": iterations[name],
                "fit_s": fit_time,
                "ms_per_iter": 1e3 * per_iter,
                "ratio_to_mlp": per_iter / mlp_per_iter,
                "test_r2": r2_score(y_test, fitted[name].predict(X_test)),
                "peak_mb": memory,
                "floor_ms_per_eval": 1e3 * floor,
                "kernel_ms_per_eval": 1e3 * kernel
                if name == Ours.name
                else float("nan"),
                "kernel_over_floor": kernel / floor
                if name == Ours.name
                else float("nan"),
                "steal_percent": 100 * steal,
                "others_percent": 100 * others,
            }
            rows.append(row)
            print(table_row(row, COLUMNS), file=sys.stderr, flush=True)
    return rows


# ------------------------------------------------------------------ layouts
LAYOUTS = ("C order", "Fortran order", "strided view", "memmap")
LAYOUT_HIDDEN = 20
LAYOUT_ITER = 100


def layout_copies(X, directory):
    """The values of X in each of ``LAYOUTS`` (the memmap in ``directory``)."""
    memmap = np.memmap(
        os.path.join(directory, "X.dat"), dtype=X.dtype, mode="w+", shape=X.shape
    )
    memmap[:] = X
    memmap.flush()
    copies = {
        "C order": np.ascontiguousarray(X),
        "Fortran order": np.asfortranarray(X),
        # Every other column of [X0, X0, X1, X1, ...]: X's values, not contiguous.
        "strided view": np.repeat(X, 2, axis=1)[:, ::2],
        "memmap": memmap,
    }
    for name, array in copies.items():
        if not np.array_equal(array, X):
            raise AssertionError(f"the {name} copy differs from X")
    if copies["Fortran order"].flags.c_contiguous and X.shape[1] > 1:
        raise AssertionError("the Fortran-ordered copy is C-contiguous")
    strided = copies["strided view"].flags
    if strided.c_contiguous or strided.f_contiguous:
        raise AssertionError("the strided view is contiguous")
    return copies


def run_layouts(args):
    """Fit time per memory layout of the same float64 rows; one row per layout."""
    n_rows = args.layout_rows
    X, y, X_test, _ = friedman(n_rows, np.float64, n_test=1000 if args.quick else 5000)
    inputs_mib = n_rows * (X.shape[1] + 1) * X.itemsize / 2**20
    times = {name: [] for name in LAYOUTS}
    same_fit = dict.fromkeys(LAYOUTS, True)
    iterations, models = {}, {}
    reference = None  # test predictions of the first C-ordered fit
    with tempfile.TemporaryDirectory(prefix="bench_layouts_") as directory:
        copies = layout_copies(X, directory)
        before = cpu_times()
        for _ in range(args.repeats):  # interleaved: C F S M C F S M ...
            for name in LAYOUTS:
                model = SigmoidMLPRegressor(
                    n_hidden=LAYOUT_HIDDEN,
                    alpha=ALPHA,
                    max_iter=LAYOUT_ITER,
                    tol=0,
                    random_state=0,
                )
                start = time.perf_counter()
                _fit_quietly(model, copies[name], y)
                times[name].append(time.perf_counter() - start)
                iterations[name], models[name] = model.n_iter_, model
                predictions = model.predict(X_test)
                if reference is None:
                    reference = predictions
                same_fit[name] &= bool(np.array_equal(predictions, reference))
            print(
                "layouts: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in LAYOUTS),
                file=sys.stderr,
                flush=True,
            )
        after = cpu_times()
        steal, others = steal_share(before, after), others_share(before, after)
        # Predictions on each layout's own rows (the predict path's inputs).
        train_reference = models["C order"].predict(copies["C order"])
        same_predict = {
            name: bool(
                np.array_equal(models[name].predict(copies[name]), train_reference)
            )
            for name in LAYOUTS
        }
        del copies  # closes the memmap before its directory goes
    c_time = statistics.median(times["C order"])
    c_per_iter = c_time / max(1, iterations["C order"])
    rows = []
    for name in LAYOUTS:
        fit_time = statistics.median(times[name])
        per_iter = fit_time / max(1, iterations[name])
        rows.append(
            {
                "layout": name,
                "rows": n_rows,
                "features": X.shape[1],
                "dtype": X.dtype.name,
                "inputs_mib": inputs_mib,
                "hidden": LAYOUT_HIDDEN,
                "iterations": iterations[name],
                "repeats": len(times[name]),
                "fit_s": fit_time,
                "fit_s_min": min(times[name]),
                "fit_s_max": max(times[name]),
                "ms_per_iter": 1e3 * per_iter,
                "ratio_to_c": fit_time / c_time,
                "per_iter_ratio_to_c": per_iter / c_per_iter,
                "same_test_predictions": same_fit[name],
                "same_train_predictions": same_predict[name],
                "steal_percent": 100 * steal,
                "others_percent": 100 * others,
            }
        )
    return rows


# ------------------------------------------------------------------- output
COLUMNS = [
    ("data", "data", "{}"),
    ("rows", "rows", "{}"),
    ("hidden", "hidden", "{}"),
    ("dtype", "X dtype", "{}"),
    ("y_dtype", "y dtype", "{}"),
    ("model", "model", "{}"),
    ("iterations", "iters", "{}"),
    ("fit_s", "fit s", "{:.3f}"),
    ("ms_per_iter", "ms/iter", "{:.2f}"),
    ("ratio_to_mlp", "x MLP", "{:.3f}"),
    ("test_r2", "test R2", "{:.4f}"),
    ("peak_mb", "peak MiB", "{:.1f}"),
    ("floor_ms_per_eval", "floor ms/eval", "{:.2f}"),
    ("kernel_ms_per_eval", "kernel ms/eval", "{:.2f}"),
    ("kernel_over_floor", "kernel/floor", "{:.2f}"),
    ("steal_percent", "steal %", "{:.0f}"),
    ("others_percent", "others %", "{:.0f}"),
]

LAYOUT_COLUMNS = [
    ("layout", "layout", "{}"),
    ("rows", "rows", "{}"),
    ("features", "features", "{}"),
    ("dtype", "dtype", "{}"),
    ("inputs_mib", "[X, 1] MiB", "{:.1f}"),
    ("hidden", "hidden", "{}"),
    ("iterations", "iters", "{}"),
    ("repeats", "repeats", "{}"),
    ("fit_s", "fit s", "{:.3f}"),
    ("fit_s_min", "min s", "{:.3f}"),
    ("fit_s_max", "max s", "{:.3f}"),
    ("ms_per_iter", "ms/iter", "{:.2f}"),
    ("ratio_to_c", "fit x C", "{:.3f}"),
    ("per_iter_ratio_to_c", "ms/iter x C", "{:.3f}"),
    ("same_test_predictions", "same test predictions", "{}"),
    ("same_train_predictions", "same train predictions", "{}"),
    ("steal_percent", "steal %", "{:.0f}"),
    ("others_percent", "others %", "{:.0f}"),
]


def layouts_csv_path(path):
    """``results/x.csv`` -> ``results/x_layouts.csv``."""
    stem, suffix = os.path.splitext(path)
    return f"{stem}_layouts{suffix or '.csv'}"


def plot(rows, path):
    plt = pyplot()
    if plt is None:
        print("matplotlib is not installed: no plot (pip install matplotlib)")
        return False
    hidden_sizes = sorted({row["hidden"] for row in rows if row["data"] == "friedman1"})
    if not hidden_sizes:
        return False
    hidden = 50 if 50 in hidden_sizes else hidden_sizes[0]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for axis, dtype in zip(axes, ("float64", "float32"), strict=True):
        selected = [
            row
            for row in rows
            if row["data"] == "friedman1"
            and row["hidden"] == hidden
            and row["dtype"] == dtype
        ]
        for model in dict.fromkeys(row["model"] for row in selected):
            points = sorted(
                (r["rows"], r["ms_per_iter"]) for r in selected if r["model"] == model
            )
            axis.loglog(*zip(*points, strict=True), marker="o", label=model)
        floor = sorted({(r["rows"], r["floor_ms_per_eval"]) for r in selected})
        if floor:
            axis.loglog(
                *zip(*floor, strict=True), "k--", label="floor (one evaluation)"
            )
        axis.set_title(f"Friedman #1, {hidden} hidden units, {dtype} X and y")
        axis.set_xlabel("training rows")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms per L-BFGS iteration")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved repeats (3)"
    )
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument(
        "--rows", type=int, nargs="*", help="only these training sizes (332 = diabetes)"
    )
    parser.add_argument("--hidden", type=int, nargs="*", help="only these hidden sizes")
    parser.add_argument(
        "--layouts",
        action="store_true",
        help="run the memory-layout workload only (with --quick: a tiny one)",
    )
    parser.add_argument(
        "--layout-rows",
        type=int,
        default=None,
        help="rows of the layouts workload (900000; 2000 with --quick)",
    )
    parser.add_argument(
        "--csv",
        default="benchmarks/results/bench_vs_mlp.csv",
        help="CSV of the model table; the layouts table goes to PATH_layouts.csv",
    )
    parser.add_argument("--markdown", help="also write the Markdown to this file")
    parser.add_argument(
        "--plot", default="benchmarks/results/bench_vs_mlp.png", help="PNG output path"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = min(args.repeats, 2)
    if args.layout_rows is None:
        args.layout_rows = 2000 if args.quick else 900_000
    results = {}
    sections = [f"Machine: {machine()}", DTYPE_NOTE]
    if not args.layouts:
        rows = run(args)
        results["models"] = rows
        write_csv(rows, args.csv, [key for key, _, _ in COLUMNS])
        sections.append(markdown(rows, COLUMNS))
        sections.append(f"CSV: {args.csv}")
    if args.layouts or args.quick:
        layout_rows = run_layouts(args)
        results["layouts"] = layout_rows
        path = layouts_csv_path(args.csv)
        write_csv(layout_rows, path, [key for key, _, _ in LAYOUT_COLUMNS])
        first = layout_rows[0]
        sections.append(
            f"Memory layouts: SigmoidMLPRegressor, {first['hidden']} hidden units, "
            f"{first['iterations']} L-BFGS iterations (tol=0), "
            f"{first['rows']:,} x {first['features']} {first['dtype']} rows "
            f"([X, 1] = {first['inputs_mib']:.1f} MiB), {first['repeats']} "
            "interleaved repeats, medians; 'x C' is the ratio to C order; "
            "'same ... predictions' is bitwise equality with the C-ordered fit."
        )
        sections.append(markdown(layout_rows, LAYOUT_COLUMNS))
        sections.append(f"CSV: {path}")
    text = "\n\n".join(sections) + "\n"
    print(text, end="")
    if args.markdown:
        os.makedirs(os.path.dirname(args.markdown) or ".", exist_ok=True)
        with open(args.markdown, "w") as handle:
            handle.write(text)
        print(f"Markdown: {args.markdown}")
    if "models" in results and plot(results["models"], args.plot):
        print(f"Plot: {args.plot}")
    return results


if __name__ == "__main__":
    main()
