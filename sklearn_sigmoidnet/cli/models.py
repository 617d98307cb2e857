"""The command line's models: the pipeline, shuffled cross-validation, the
MLPRegressor comparison, warnings counted once, saving and loading."""

import inspect
import sys
import time
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from . import SKOPS_TRUSTED_TYPES
from ._cli_data import CommandLineError, require

# The types a .skops file written by --save holds beyond skops' default trusted
# ones (scikit-learn's, numpy's, builtins): --load trusts these and no others.
TRUSTED_TYPES = ("numpy.dtype", *SKOPS_TRUSTED_TYPES)  # numpy.dtype: SimpleImputer
MODEL_SUFFIXES = (".skops", ".joblib")


def build_pipeline(data, model):
    """Median imputation and one-hot encoding by column name, then
    StandardScaler and ``model``: numeric columns first, then encoded ones."""
    transformers = []
    if data.numeric:
        transformers.append(
            ("numeric", SimpleImputer(strategy="median"), list(data.numeric))
        )
    if data.categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        transformers.append(("categorical", encoder, list(data.categorical)))
    return Pipeline(
        [
            ("columns", ColumnTransformer(transformers)),
            ("scale", StandardScaler()),
            ("model", model),
        ]
    )


def mlp_alpha(model, y):
    """SigmoidMLPRegressor's ``alpha`` on MLPRegressor's scale for targets y.

    The penalty is added to a loss on the network's scale, where y's range
    ``y_max - y_min`` is squeezed into ``high - low`` of ``target_range``:
    MLPRegressor needs ``alpha * ((y_max - y_min) / (high - low))^2`` for the
    same balance of fit and penalty. None for ``alpha="auto"``.
    """
    if isinstance(model.alpha, str):  # "auto": estimated in each fit
        return None
    low, high = model.target_range
    return model.alpha * (float(np.ptp(y)) / (high - low)) ** 2


def mlp_like(model, alpha):
    """MLPRegressor with ``model``'s hidden units, iterations and seed (and
    its own default alpha for ``alpha=None``)."""
    return MLPRegressor(
        hidden_layer_sizes=(model.n_hidden,),
        activation="logistic",
        solver="lbfgs",
        alpha=MLPRegressor().alpha if alpha is None else alpha,
        max_iter=model.max_iter,
        max_fun=model.max_fun,
        random_state=model.random_state,
    )


class WarningTally:
    """The warnings of many fits, each distinct message counted once per fit."""

    def __init__(self):
        self.fits = Counter()
        self.counts = Counter()

    @contextmanager
    def fitting(self, name, count=True):
        """Collect the warnings of one fit of ``name`` (``count=False``: of
        something done with a fit, counted with it)."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        self.fits[name] += count
        seen = set()
        for warning in caught:
            category = warning.category
            if issubclass(category, DeprecationWarning | PendingDeprecationWarning):
                continue
            message = " ".join(str(warning.message).split())
            if issubclass(category, UserWarning) and "interrupted" in message:
                raise CommandLineError("interrupted")
            seen.add((name, category.__name__, message))
        self.counts.update(seen)

    def lines(self):
        lines = []
        for (name, category, message), count in self.counts.items():
            hint = ""
            if category == ConvergenceWarning.__name__:
                hint = " (--max-iter raises the iteration budget)"
            lines.append(
                f"warning: {category} in {count} of {self.fits[name]} {name} fits: "
                f"{message}{hint}"
            )
        return lines


def progress_printer(stream=None):
    """Writes progress to stderr when it is a terminal; else does nothing."""
    stream = sys.stderr if stream is None else stream
    if not stream.isatty():
        return lambda text, end="\n": None

    def write(text, end="\n"):
        stream.write(text + end)
        stream.flush()

    return write


def cross_validate(pipeline, X, y, *, cv, random_state, name, tally, progress):
    """R^2 of each shuffled fold and the fit times: ``cross_val_score`` with
    ``KFold(cv, shuffle=True, random_state=random_state)``, fold by fold."""
    folds = KFold(n_splits=cv, shuffle=True, random_state=random_state)
    scores, times = [], []
    for fold, (train, test) in enumerate(folds.split(X), start=1):
        progress(f"{name}: fold {fold}/{cv} ...", end="")
        model = clone(pipeline)
        start = time.perf_counter()
        fit(model, X.iloc[train], y[train], name=name, tally=tally)
        times.append(time.perf_counter() - start)
        try:
            with tally.fitting(name, count=False):
                scores.append(model.score(X.iloc[test], y[test]))
        except ValueError as error:
            message = " ".join(str(error).split())
            raise CommandLineError(f"{name} cannot predict: {message}") from None
        progress(f" R2 {scores[-1]:.4f} ({times[-1]:.1f} s)")
    return np.array(scores), np.array(times)


def fit(pipeline, X, y, *, name, tally):
    """Fit, counting warnings; a ValueError of the model is the user's error."""
    try:
        with tally.fitting(name):
            pipeline.fit(X, y)
    except ValueError as error:
        message = " ".join(str(error).split())
        raise CommandLineError(f"{name} cannot be fitted: {message}") from None
    return pipeline


def check_model_path(path, option):
    suffix = Path(path).suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        raise CommandLineError(
            f"{option} {path}: name a .skops file (or .joblib for joblib), "
            f"not {suffix or 'a file without an extension'}"
        )
    return suffix


def save_model(pipeline, path):
    if check_model_path(path, "--save") == ".skops":
        sio = require("skops.io", "--save to a .skops file")
        sio.dump(pipeline, path)
    else:
        import joblib

        joblib.dump(pipeline, path)


def load_model(path):
    """A fitted model from .skops (trusting only TRUSTED_TYPES) or .joblib."""
    suffix = check_model_path(path, "--load")
    if not Path(path).is_file():
        reason = "it is a directory" if Path(path).is_dir() else "no such file"
        raise CommandLineError(f"cannot read {path}: {reason}")
    if suffix == ".skops":
        sio = require("skops.io", "--load of a .skops file")
        try:
            untrusted = sio.get_untrusted_types(file=path)
        except Exception as error:  # a damaged file: whatever skops raises
            raise CommandLineError(
                f"cannot load {path}: not a .skops file ({type(error).__name__}: "
                f"{error})"
            ) from None
        unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
        if unknown:
            raise CommandLineError(
                f"{path} holds types this command does not trust: "
                f"{', '.join(unknown)}. If you trust its source, load it in Python "
                "with skops.io.load(path, trusted=[...])."
            )
        loader = lambda: sio.load(path, trusted=list(TRUSTED_TYPES))  # noqa: E731
    else:
        import joblib

        loader = lambda: joblib.load(path)  # noqa: E731
    try:
        model = loader()
    except Exception as error:  # a damaged file: whatever the loader raises
        raise CommandLineError(
            f"cannot load {path}: {type(error).__name__}: {error}"
        ) from None
    if not hasattr(model, "predict"):
        raise CommandLineError(f"{path} holds a {type(model).__name__}, not a model")
    if getattr(model, "feature_names_in_", None) is None:
        raise CommandLineError(
            f"the model in {path} was fitted without column names, so a CSV's "
            "columns cannot be matched to it by name; fit it on a DataFrame"
        )
    return model


def model_columns(model):
    """(column names in the model's order, {one-hot encoded column: the
    categories seen in training})."""
    names = [str(name) for name in model.feature_names_in_]
    categorical = {}
    first = model[0] if isinstance(model, Pipeline) else model
    if isinstance(first, ColumnTransformer):
        for name, encoder, columns in first.transformers_:
            if name == "categorical":
                for column, known in zip(columns, encoder.categories_, strict=True):
                    categorical[str(column)] = set(known)
    return names, categorical


def final_estimator(model):
    return model[-1] if isinstance(model, Pipeline) else model


def supports_return_std(model):
    predict = final_estimator(model).predict
    return "return_std" in inspect.signature(predict).parameters


def predictions(model, X, return_std):
    """{column: values}: the predictions, and their std with ``return_std``."""
    target = getattr(model, "target_name_", None) or "prediction"
    if return_std:
        mean, std = model.predict(X, return_std=True)
        return {f"{target}_predicted": mean, f"{target}_std": std}
    return {f"{target}_predicted": model.predict(X)}
