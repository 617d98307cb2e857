"""
Grid search in a Pipeline
=========================

``SigmoidMLPRegressor`` is a regular scikit-learn estimator, so it tunes like
one: here ``GridSearchCV`` searches the number of hidden units and the L2
penalty ``alpha`` (fixed values, and the default ``"auto"``) of a
``StandardScaler`` + ``SigmoidMLPRegressor`` pipeline on a small, noisy
Friedman #1 problem, and we plot the cross-validated R² of every combination.
"""

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor

# A few weakly penalised fits use all 200 iterations; that is fine here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_friedman1(n_samples=400, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

pipeline = make_pipeline(StandardScaler(), SigmoidMLPRegressor(random_state=0))
grid = {
    "sigmoidmlpregressor__n_hidden": [3, 10, 30],
    "sigmoidmlpregressor__alpha": [1e-5, 1e-3, 1e-2, 1e-1, "auto"],
}
search = GridSearchCV(pipeline, grid, cv=KFold(3, shuffle=True, random_state=0))
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"cross-validated R²: {search.best_score_:.3f}")
print(f"test R² of the refitted best pipeline: {search.score(X_test, y_test):.3f}")

# %%
# The mean cross-validated R² of each combination. With 300 training rows,
# too small a penalty lets the larger networks fit the noise, too large a one
# flattens every network. ``alpha`` acts on the network's scale, where it
# weighs more than the same number in MLPRegressor (see the model page of the
# user guide), hence the small values. The last column is the default,
# ``alpha="auto"``, which estimates the penalty from the training data of each
# fit (Bayesian regularisation) instead of taking it from the grid.
n_hidden = grid["sigmoidmlpregressor__n_hidden"]
alphas = grid["sigmoidmlpregressor__alpha"]
scores = np.empty((len(n_hidden), len(alphas)))
for params, score in zip(
    search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True
):
    i = n_hidden.index(params["sigmoidmlpregressor__n_hidden"])
    j = alphas.index(params["sigmoidmlpregressor__alpha"])
    scores[i, j] = score

fig, ax = plt.subplots(figsize=(7.5, 4))
image = ax.imshow(scores, cmap="viridis", origin="lower")
ax.set_xticks(range(len(alphas)), [str(a) for a in alphas])
ax.set_yticks(range(len(n_hidden)), [str(k) for k in n_hidden])
ax.set(xlabel="alpha", ylabel="n_hidden", title="Mean cross-validated R²")
for i in range(len(n_hidden)):
    for j in range(len(alphas)):
        dark = scores[i, j] < scores.min() + 0.6 * np.ptp(scores)
        color = "white" if dark else "black"
        ax.text(j, i, f"{scores[i, j]:.3f}", ha="center", va="center", color=color)
fig.colorbar(image, ax=ax)
fig.tight_layout()
plt.show()

# %%
# The network in the best pipeline is an ordinary fitted estimator:
best = search.best_estimator_[-1]
print(f"{best.n_iter_} iterations, final training loss {best.loss_:.4g}")
