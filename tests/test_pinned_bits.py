"""Exact bits of the kernel and of short fits, pinned before a refactor.

Each case hashes the bytes of a result (a gradient, predictions after a short
fit) and also records a few float summaries of it. On the machine the pins were
recorded on (same numpy, SciPy and BLAS build and CPU kernel: the fingerprint),
the hashes must match to the bit; elsewhere BLAS may order its sums
differently, and the summaries must match to a tolerance instead.

Regenerate (only when a change of the numbers is intended and explained) with
``python tests/test_pinned_bits.py --record``.
"""

import hashlib
import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet._kernel import NetworkKernel
from sklearn_sigmoidnet._layout import ParameterLayout

PINS = Path(__file__).with_name("pinned_bits.json")


def fingerprint():
    blas = [
        {k: info.get(k) for k in ("internal_api", "version", "architecture")}
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]
    return {
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "machine": platform.machine(),
        "blas": blas,
    }


def _digest(array):
    array = np.ascontiguousarray(array)
    return hashlib.sha256(array.dtype.str.encode() + array.tobytes()).hexdigest()[:24]


def _summary(array):
    array = np.asarray(array, dtype=np.float64).ravel()
    return [float(array.sum()), float(np.abs(array).sum()), float(array[0])]


def _data(n_rows, n_features, n_outputs, dtype, sparse, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features))
    if sparse:
        X *= rng.random(X.shape) < 0.5
    Y = np.column_stack(
        [np.sin(X[:, j % n_features]) + 0.3 * X[:, -1] for j in range(n_outputs)]
    )
    Y += 0.1 * rng.normal(size=Y.shape)
    X = X.astype(dtype)
    return (sp.csr_array(X) if sparse else X), Y, rng


KERNEL_CASES = [
    (dtype, n_outputs, sparse, n_threads)
    for dtype in ("float64", "float32")
    for n_outputs in (1, 3)
    for sparse in (False, True)
    for n_threads in (1, 2)
]


def kernel_result(dtype, n_outputs, sparse, n_threads):
    """Loss, gradient and predictions of a kernel of several row blocks."""
    X, Y, rng = _data(6000, 5, n_outputs, np.dtype(dtype), sparse)
    Y = 0.2 + 0.6 * (Y - Y.min(axis=0)) / np.ptp(Y, axis=0)
    weights = rng.uniform(0.0, 2.0, size=6000) if n_outputs == 3 else None
    layout = ParameterLayout(5, 50, n_outputs)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    with NetworkKernel(
        X, Y, weights, layout=layout, alpha=0.1, n_threads=n_threads
    ) as kernel:
        assert kernel.n_blocks > 1
        loss, gradient = kernel.loss_gradient(theta)
        predictions = kernel.predict(theta)
        loss_only = kernel.loss(theta)
    return np.concatenate([[loss, loss_only], gradient, predictions.ravel()])


GAUSS_NEWTON_CASES = [
    (dtype, n_outputs, n_rows)
    for dtype in ("float64", "float32")
    for n_outputs in (1, 2)
    for n_rows in (300, 6000)
]


def gauss_newton_result(dtype, n_outputs, n_rows):
    """J^T J (upper triangle), J^T r and the loss from the normal equations."""
    X, Y, rng = _data(n_rows, 4, n_outputs, np.dtype(dtype), False, seed=1)
    Y = 0.2 + 0.6 * (Y - Y.min(axis=0)) / np.ptp(Y, axis=0)
    weights = rng.uniform(0.5, 2.0, size=n_rows)
    layout = ParameterLayout(4, 30, n_outputs)
    theta = rng.normal(scale=0.5, size=layout.n_parameters)
    P = layout.n_parameters
    JtJ, Jtr = np.zeros((P, P), order="F"), np.zeros(P)
    with NetworkKernel(X, Y, weights, layout=layout, alpha=0.05) as kernel:
        loss = kernel.normal_equations(theta, JtJ, Jtr)
    return np.concatenate([[loss], JtJ[np.triu_indices(P)], Jtr])


FIT_CASES = [
    (solver, dtype, n_outputs, sparse, n_jobs)
    for solver in ("lbfgs", "gd", "lm")
    for dtype in ("float64", "float32")
    for n_outputs in (1, 2)
    for sparse in (False, True)
    for n_jobs in (1, 2)
]


def fit_result(solver, dtype, n_outputs, sparse, n_jobs):
    """Predictions and loss curve of a short fit (several row blocks)."""
    X, Y, rng = _data(4000, 5, n_outputs, np.dtype(dtype), sparse, seed=2)
    weights = rng.integers(0, 3, size=4000).astype(float) if n_outputs == 2 else None
    y = Y[:, 0] if n_outputs == 1 else Y
    model = SigmoidMLPRegressor(
        n_hidden=20 if solver == "lm" else 60,
        solver=solver,
        alpha=1e-3,
        max_iter=8,
        tol=0,
        n_jobs=n_jobs,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=weights)
    return np.concatenate(
        [np.asarray(model.loss_curve_), model.predict(X).ravel().astype(np.float64)]
    )


def workflow_result(case):
    """partial_fit, warm start and early stopping: their state over calls."""
    X, Y, _ = _data(3000, 5, 1, np.dtype(np.float64), False, seed=3)
    y = Y[:, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if case == "partial_fit":
            model = SigmoidMLPRegressor(n_hidden=30, alpha=1e-4, random_state=0)
            for batch in np.array_split(np.arange(3000), 3):
                model.partial_fit(X[batch], y[batch])
            curve = model.loss_curve_
        elif case == "warm_start":
            model = SigmoidMLPRegressor(
                n_hidden=30,
                alpha=1e-4,
                max_iter=5,
                tol=0,
                warm_start=True,
                random_state=0,
            )
            model.fit(X, y)
            model.fit(X, y)
            curve = model.loss_curve_
        else:
            model = SigmoidMLPRegressor(
                n_hidden=30,
                alpha=1e-4,
                max_iter=30,
                early_stopping=True,
                n_iter_no_change=3,
                random_state=0,
            )
            model.fit(X, y)
            curve = model.loss_curve_ + model.validation_scores_
    return np.concatenate([np.asarray(curve), model.predict(X)])


ALL_CASES = (
    [("kernel", case) for case in KERNEL_CASES]
    + [("gauss_newton", case) for case in GAUSS_NEWTON_CASES]
    + [("fit", case) for case in FIT_CASES]
    + [("workflow", (case,)) for case in ("partial_fit", "warm_start", "early")]
)
RESULTS = {
    "kernel": kernel_result,
    "gauss_newton": gauss_newton_result,
    "fit": fit_result,
    "workflow": workflow_result,
}


def _key(kind, case):
    return kind + ":" + ",".join(str(part) for part in case)


def _load_pins():
    with open(PINS) as handle:
        return json.load(handle)


@pytest.mark.parametrize("kind, case", ALL_CASES, ids=[_key(*c) for c in ALL_CASES])
def test_pinned_bits(kind, case):
    pins = _load_pins()
    result = RESULTS[kind](*case)
    pin = pins["cases"][_key(kind, case)]
    if pins["fingerprint"] == fingerprint():
        assert _digest(result) == pin["digest"]
    else:
        np.testing.assert_allclose(_summary(result), pin["summary"], rtol=1e-3)


def record():
    pins = {"fingerprint": fingerprint(), "cases": {}}
    for kind, case in ALL_CASES:
        result = RESULTS[kind](*case)
        pins["cases"][_key(kind, case)] = {
            "digest": _digest(result),
            "summary": _summary(result),
        }
    with open(PINS, "w") as handle:
        json.dump(pins, handle, indent=1)
        handle.write("\n")


def compare():
    """Print the cases whose bits differ from the pins (for a refactor)."""
    pins = _load_pins()
    differing = 0
    for kind, case in ALL_CASES:
        key = _key(kind, case)
        result = RESULTS[kind](*case)
        if _digest(result) != pins["cases"][key]["digest"]:
            differing += 1
            summary = _summary(result)
            print(f"differs: {key} {summary} vs {pins['cases'][key]['summary']}")
    print(f"{differing} of {len(ALL_CASES)} cases differ")


if __name__ == "__main__":
    if "--record" in sys.argv:
        record()
    else:
        compare()
