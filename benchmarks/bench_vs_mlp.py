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
code slow from one run to the next.

Usage::

    python benchmarks/bench_vs_mlp.py            # the full table (~10 minutes)
    python benchmarks/bench_vs_mlp.py --quick    # a smoke run (seconds)

Writes a Markdown table to stdout, a CSV (``--csv``) and, when matplotlib is
installed, a PNG of time per iteration against rows (``--plot``).
"""

import argparse
import csv
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet._data import TargetMapping
from sklearn_sigmoidnet._estimator import _blas_single_threaded
from sklearn_sigmoidnet._network import NetworkKernel, ParameterLayout
from sklearn_sigmoidnet._plotting import MISSING, pyplot

N_CORES = os.cpu_count() or 1
ALPHA = 1e-4


# --------------------------------------------------------------------- data
def friedman(n_rows, dtype, n_test=5000):
    X, y = make_friedman1(n_samples=n_rows + n_test, noise=1.0, random_state=0)
    scaler = StandardScaler().fit(X[:n_rows])
    X = scaler.transform(X).astype(dtype)
    return X[:n_rows], y[:n_rows], X[n_rows:], y[n_rows:]


def diabetes(dtype):
    X, y = load_diabetes(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(y))
    train, test = order[:332], order[332:]
    scaler = StandardScaler().fit(X[train])
    X = scaler.transform(X).astype(dtype)
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
    """The same network, loss and target mapping, with torch.optim.LBFGS."""

    name = "PyTorch LBFGS"

    def __init__(self, n_hidden, max_iter):
        self.n_hidden = n_hidden
        self.max_iter = max_iter

    def fit(self, X, y):
        import torch

        torch.set_num_threads(N_CORES)
        dtype = torch.float32 if X.dtype == np.float32 else torch.float64
        Y = y.reshape(-1, 1)
        self.mapping = TargetMapping.fit(Y, (0.2, 0.8))
        X_t = torch.from_numpy(X)
        Y_t = torch.from_numpy(self.mapping.to_network(Y, dtype=X.dtype))
        # Same initial weights as SigmoidMLPRegressor (Glorot-uniform).
        rng = np.random.RandomState(0)
        layout = ParameterLayout(X.shape[1], self.n_hidden, 1)
        theta = SigmoidMLPRegressor()._initial_theta(layout, rng)
        W1, W2 = layout.unpack(theta)
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
        return self.mapping.to_target(Yhat).ravel()


def torch_available():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


# -------------------------------------------------------------------- steal
def cpu_times():
    """(steal, total) jiffies of all CPUs from /proc/stat; None off Linux."""
    try:
        with open("/proc/stat") as handle:
            fields = handle.readline().split()
    except OSError:
        return None
    if fields[0] != "cpu" or len(fields) < 9:
        return None
    values = [int(field) for field in fields[1:9]]
    return values[7], sum(values)


def steal_share(before, after):
    """Share of the CPUs' time the hypervisor gave to other guests meanwhile.

    On a shared virtual machine this is what makes two threads slower than
    one now and then; the table reports it next to each workload's times.
    """
    if before is None or after is None or after[1] == before[1]:
        return float("nan")
    return (after[0] - before[0]) / (after[1] - before[1])


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
    """Seconds per loss+gradient evaluation of our kernel (all cores)."""
    rng = np.random.default_rng(0)
    layout = ParameterLayout(X.shape[1], n_hidden, 1)
    Y = TargetMapping.fit(y.reshape(-1, 1), (0.2, 0.8)).to_network(
        y.reshape(-1, 1), dtype=X.dtype
    )
    kernel = NetworkKernel(X, Y, layout=layout, alpha=ALPHA, n_threads=N_CORES)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    gradient = np.empty(layout.n_parameters)
    try:
        with _blas_single_threaded():
            kernel.loss_gradient(theta, gradient)
            return _median_time(lambda: kernel.loss_gradient(theta, gradient), repeats)
    finally:
        kernel.close()


def peak_memory_mb(model_class, n_hidden, X, y):
    """Peak traced allocation of a short fit (numpy and Python), in MiB."""
    model = model_class(n_hidden, max_iter=3)
    tracemalloc.start()
    try:
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


def run(args):
    models = [Ours, MLP] + ([Torch] if torch_available() and not args.no_torch else [])
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
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    n_iter = model.fit(X, y)
                times[model.name].append(time.perf_counter() - start)
                iterations[model.name] = n_iter
                fitted[model.name] = model
        steal = steal_share(before, cpu_times())
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
                "dtype": np.dtype(dtype).name,
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
            }
            rows.append(row)
            print(_format_row(row), file=sys.stderr, flush=True)
    return rows


COLUMNS = [
    ("data", "data", "{}"),
    ("rows", "rows", "{}"),
    ("hidden", "hidden", "{}"),
    ("dtype", "dtype", "{}"),
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
]


def _cell(row, key, fmt):
    value = row[key]
    if isinstance(value, float) and np.isnan(value):
        return "-"
    return fmt.format(value)


def _format_row(row):
    return "| " + " | ".join(_cell(row, key, fmt) for key, _, fmt in COLUMNS) + " |"


def markdown(rows):
    lines = [
        "| " + " | ".join(title for _, title, _ in COLUMNS) + " |",
        "|" + "|".join("---" for _ in COLUMNS) + "|",
    ]
    lines += [_format_row(row) for row in rows]
    return "\n".join(lines)


def write_csv(rows, path):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[key for key, _, _ in COLUMNS])
        writer.writeheader()
        writer.writerows(rows)


def plot(rows, path):
    plt = pyplot()
    if plt is None:
        print(MISSING)
        return False
    hidden_sizes = sorted({row["hidden"] for row in rows if row["data"] == "friedman1"})
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
        axis.set_title(f"Friedman #1, {hidden} hidden units, {dtype}")
        axis.set_xlabel("training rows")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms per L-BFGS iteration")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    return True


def machine():
    blas = ", ".join(
        f"{info['internal_api']} {info['version']} ({info.get('architecture')})"
        for info in threadpool_info()
        if info["user_api"] == "blas"
    )
    return (
        f"{platform.processor() or platform.machine()}, {N_CORES} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, BLAS: {blas}"
    )


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
        "--csv", default="benchmarks/results/bench_vs_mlp.csv", help="CSV output path"
    )
    parser.add_argument(
        "--plot", default="benchmarks/results/bench_vs_mlp.png", help="PNG output path"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats = min(args.repeats, 2)
    rows = run(args)
    print(f"Machine: {machine()}\n")
    print(markdown(rows))
    write_csv(rows, args.csv)
    print(f"\nCSV: {args.csv}")
    if plot(rows, args.plot):
        print(f"Plot: {args.plot}")
    return rows


if __name__ == "__main__":
    main()
