"""
Loss curves of the three solvers
================================

``SigmoidMLPRegressor`` trains the same network with three solvers:
L-BFGS (``solver="lbfgs"``), gradient descent with momentum
(``"gd"``) and Levenberg-Marquardt (``"lm"``). Each records the training loss
after every iteration in ``loss_curve_``. Here they train the same network
(20 hidden units, the same initial weights) on a Friedman #1 problem, and we
plot the loss against the iteration and against the time spent.

The loss is the mean squared error of eq. (1) on the network's own scale, where
the targets are mapped into ``target_range``; it is comparable between the
solvers because they all minimise the very same function.
"""

# %%
# Data and models
# ---------------
# 1500 samples of Friedman #1 with a little noise; standardised inputs.
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor

X, y = make_friedman1(n_samples=1500, noise=0.5, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Fit with each solver, with a fixed penalty (``alpha=1e-4``; the default
# ``alpha="auto"`` would re-estimate it during the fit, which changes the
# function being minimised as the curve goes). ``tol=0`` makes each run its
# full ``max_iter`` iterations (Levenberg-Marquardt stops earlier when no step
# can lower the loss any more), so that the curves show how fast each one
# gets where.
solvers = {"lbfgs": 300, "gd": 3000, "lm": 60}
# Running to max_iter is the point here, not a warning.
warnings.filterwarnings("ignore", category=ConvergenceWarning)
models, seconds = {}, {}
for solver, max_iter in solvers.items():
    model = SigmoidMLPRegressor(
        n_hidden=20,
        solver=solver,
        alpha=1e-4,
        max_iter=max_iter,
        tol=0.0,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds[solver] = time.perf_counter() - start
    models[solver] = model
    print(
        f"{solver:>5}: {model.n_iter_:4d} iterations in {seconds[solver]:.2f} s, "
        f"final loss {model.loss_:.2e}, test R² {model.score(X_test, y_test):.4f}"
    )

# %%
# Loss per iteration, and per second
# ----------------------------------
# An iteration means different work for each solver: one gradient step for
# ``gd``, a line search for ``lbfgs``, a factorised linear system of one row
# and column per weight for ``lm``. The right panel spreads each run's curve
# evenly over its measured fit time.
fig, (ax_iter, ax_time) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for solver, model in models.items():
    curve = model.loss_curve_
    iterations = range(1, len(curve) + 1)
    ax_iter.plot(iterations, curve, label=solver)
    per_iteration = seconds[solver] / len(curve)
    ax_time.plot([per_iteration * i for i in iterations], curve, label=solver)
ax_iter.set(
    xscale="log", yscale="log", xlabel="iteration", ylabel="training loss (eq. 1)"
)
ax_time.set(xscale="log", xlabel="seconds (fit time spread over the iterations)")
ax_iter.legend()
ax_iter.set_title("Loss per iteration")
ax_time.set_title("Loss against time")
fig.tight_layout()
plt.show()

# %%
# Levenberg-Marquardt reaches the lowest loss in the fewest iterations on
# a problem this small; gradient descent needs thousands of cheap steps.
# On larger networks Levenberg-Marquardt's ``P x P`` system (``P`` the number
# of weights) becomes the cost: see the solvers page of the user guide.
