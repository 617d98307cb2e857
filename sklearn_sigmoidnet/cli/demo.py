"""The demo: SigmoidMLPRegressor against MLPRegressor on the diabetes data and
a Friedman #1 problem (numpy, scipy and scikit-learn only)."""

import time

from sklearn.base import clone
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor

from .models import WarningTally, fit, mlp_alpha, mlp_like
from .options import DEFAULT_SEED, DEMO_HIDDEN, MODEL_PARAMETERS
from .results import DemoScored, DemoStarted, WarningsCounted


def datasets():
    """``(name, X, y)`` of the demo's data sets."""
    yield "diabetes (442 x 10)", *load_diabetes(return_X_y=True)
    X, y = make_friedman1(n_samples=5000, noise=1.0, random_state=0)
    yield "Friedman #1 (5000 x 10, noise 1)", X, y


def model_parameters(args):
    """SigmoidMLPRegressor's parameters set by the options given, and the
    seed (the CLI's default unless --random-state)."""
    params = {
        option.dest: getattr(args, option.dest)
        for option in MODEL_PARAMETERS
        if option.is_given(args)
    }
    seed = args.random_state
    params["random_state"] = DEFAULT_SEED if seed is None else seed
    return params


def run(args, show):
    """Fit both models on each data set's 75 % and score the rest."""
    params = model_parameters(args)
    params.setdefault("n_hidden", DEMO_HIDDEN)
    template = SigmoidMLPRegressor(**params)
    show(DemoStarted(template, args.mlp_alpha))
    tally = WarningTally()
    for data_name, X, y in datasets():
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, random_state=0
        )
        alpha = args.mlp_alpha
        if alpha is None:
            alpha = mlp_alpha(template, y_train)
        models = {
            "SigmoidMLPRegressor": clone(template),
            "MLPRegressor": mlp_like(template, alpha),
        }
        for model_name, model in models.items():
            pipeline = make_pipeline(StandardScaler(), model)
            start = time.perf_counter()
            fit(pipeline, X_train, y_train, name=model_name, tally=tally)
            elapsed = time.perf_counter() - start
            score = pipeline.score(X_test, y_test)
            show(
                DemoScored(
                    data_name, model_name, model.alpha, score, elapsed, model.n_iter_
                )
            )
    show(WarningsCounted(tally.counted()))
