"""Demo: SigmoidMLPRegressor and MLPRegressor side by side.

Run with ``python -m sklearn_sigmoidnet``. Fits both on scikit-learn's bundled
diabetes data and on a Friedman #1 problem and prints test R^2 and fit time.
"""

import argparse
import time
import warnings

from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import SigmoidMLPRegressor


def _datasets():
    yield "diabetes (442 x 10)", *load_diabetes(return_X_y=True)
    X, y = make_friedman1(n_samples=5000, noise=1.0, random_state=0)
    yield "Friedman #1 (5000 x 10, noise 1)", X, y


def _models(n_hidden):
    yield (
        "SigmoidMLPRegressor",
        SigmoidMLPRegressor(n_hidden=n_hidden, alpha=0.01, random_state=0),
    )
    yield (
        "MLPRegressor",
        MLPRegressor(
            hidden_layer_sizes=(n_hidden,),
            activation="logistic",
            solver="lbfgs",
            max_iter=200,
            random_state=0,
        ),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sklearn_sigmoidnet",
        description="Fit SigmoidMLPRegressor (alpha=0.01) and MLPRegressor "
        "(activation='logistic', its default alpha=1e-4) side by side (L-BFGS, "
        "200 iterations at most, StandardScaler on X) and print test R^2 and "
        "fit time.",
    )
    parser.add_argument("--n-hidden", type=int, default=20, help="hidden units (20)")
    args = parser.parse_args(argv)
    print(f"{'data':34} {'model':20} {'test R2':>8} {'fit time':>9} {'iters':>6}")
    for data_name, X, y in _datasets():
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0
        )
        for model_name, model in _models(args.n_hidden):
            pipeline = make_pipeline(StandardScaler(), model)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                pipeline.fit(X_train, y_train)
            elapsed = time.perf_counter() - start
            score = pipeline.score(X_test, y_test)
            print(
                f"{data_name:34} {model_name:20} {score:8.4f} {elapsed:8.3f}s "
                f"{model.n_iter_:6d}"
            )


if __name__ == "__main__":
    main()
