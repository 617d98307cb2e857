"""Written once with sklearn_sigmoidnet 0.1.0 (commit eb74c65): fitted models
of the released code, for tests/test_persistence.py's backward-compatibility
tests. Their predictions (and standard deviations) are stored beside them."""

import json
import pickle

import numpy as np
import sklearn
import skops
import skops.io as sio
from sklearn.datasets import make_friedman1

import sklearn_sigmoidnet
from sklearn_sigmoidnet import SigmoidMLPRegressor


def main():

    X, y = make_friedman1(n_samples=120, noise=0.1, random_state=0)
    Y2 = np.column_stack([y, -2 * y + 1])
    models = {
        "lm_auto": (SigmoidMLPRegressor(n_hidden=4, random_state=0, max_iter=30), y),
        "lbfgs_fixed": (
            SigmoidMLPRegressor(
                n_hidden=4, solver="lbfgs", alpha=1e-3, random_state=0, max_iter=30
            ),
            Y2,
        ),
        "partial": (None, y),
    }
    out = {
        "versions": {
            "sklearn_sigmoidnet": sklearn_sigmoidnet.__version__,
            "scikit-learn": sklearn.__version__,
            "skops": skops.__version__,
        }
    }
    Xt = X[:10]
    for name, (model, target) in models.items():
        if model is None:
            model = SigmoidMLPRegressor(n_hidden=3, random_state=0)
            for _ in range(3):
                model.partial_fit(X, target)
        else:
            model.fit(X, target)
        with open(f"tests/data/release_0_1_0_{name}.pkl", "wb") as f:
            pickle.dump(model, f)
        sio.dump(model, f"tests/data/release_0_1_0_{name}.skops")
        entry = {"predict": model.predict(Xt).tolist()}
        if name != "partial":
            entry["std"] = model.predict(Xt, return_std=True)[1].tolist()
        out[name] = entry
    out["X"] = Xt.tolist()
    json.dump(out, open("tests/data/release_0_1_0_predictions.json", "w"), indent=1)


if __name__ == "__main__":
    main()
