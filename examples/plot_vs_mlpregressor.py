"""
Time and accuracy against MLPRegressor
======================================

scikit-learn's ``MLPRegressor`` with ``activation="logistic"`` and
``solver="lbfgs"`` trains a network of the same shape, with the logistic
activation on the hidden layer (its output is linear). We fit both on
Friedman #1 problems of a few sizes, with the same number of L-BFGS
iterations, and compare fit time and test R². Each gets one core:
``n_jobs=1`` for ``SigmoidMLPRegressor`` (whose kernel already keeps BLAS to
one thread) and a one-thread BLAS limit (threadpoolctl) for ``MLPRegressor``,
whose many small matrix products lose more to thread start-up than they gain
on a small, shared machine.

The sizes are small so that the gallery builds in seconds; the benchmark
script ``benchmarks/bench_vs_mlp.py`` measures larger problems (see the
performance page of the user guide). Times on the machine that built this
page are noisy: treat the ratios, not the milliseconds, as the result.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sklearn_sigmoidnet import SigmoidMLPRegressor

N_HIDDEN, MAX_ITER = 20, 100
SIZES = [500, 2000, 8000]


def make_models():
    # A fixed alpha for both (MLPRegressor's default, 1e-4), rather than
    # SigmoidMLPRegressor's default alpha="auto", so that both run plain
    # L-BFGS iterations. MLPRegressor's penalty is on y's scale, ours on the
    # network's: the same number weighs differently (see the model page), and
    # both are small here.
    return {
        "SigmoidMLPRegressor": SigmoidMLPRegressor(
            n_hidden=N_HIDDEN,
            alpha=1e-4,
            max_iter=MAX_ITER,
            tol=0.0,
            n_jobs=1,
            random_state=0,
        ),
        "MLPRegressor": MLPRegressor(
            hidden_layer_sizes=(N_HIDDEN,),
            activation="logistic",
            solver="lbfgs",
            alpha=1e-4,
            max_iter=MAX_ITER,
            tol=0.0,
            random_state=0,
        ),
    }


def fit_time(model, X, y, repeats=2):
    """The best of a few fits, in seconds (the fits are identical)."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return best


results = {name: {"seconds": [], "r2": []} for name in make_models()}
X_test, y_test = make_friedman1(n_samples=2000, noise=1.0, random_state=1)
for n_samples in SIZES:
    X, y = make_friedman1(n_samples=n_samples, noise=1.0, random_state=0)
    for name, network in make_models().items():
        model = make_pipeline(StandardScaler(), network)
        seconds = fit_time(model, X, y)
        results[name]["seconds"].append(seconds)
        results[name]["r2"].append(model.score(X_test, y_test))
        print(
            f"{n_samples:5d} rows  {name:>19}: {1000 * seconds:7.1f} ms, "
            f"test R² {results[name]['r2'][-1]:.4f}"
        )

# %%
# Plot fit time and test R² against the number of training rows.
fig, (ax_time, ax_r2) = plt.subplots(1, 2, figsize=(10, 4))
for name, result in results.items():
    ax_time.plot(SIZES, result["seconds"], marker="o", label=name)
    ax_r2.plot(SIZES, result["r2"], marker="o", label=name)
ax_time.set(
    xscale="log",
    yscale="log",
    xlabel="training rows",
    ylabel=f"fit time, s ({MAX_ITER} L-BFGS iterations)",
    title="Fit time",
)
ax_r2.set(xscale="log", xlabel="training rows", ylabel="test R²", title="Accuracy")
ax_time.legend()
fig.tight_layout()
plt.show()

# %%
# Both networks reach a similar R² with the same iteration budget; the
# hand-coded gradient makes each SigmoidMLPRegressor iteration cheaper, by
# more as the data grow.
