"""The command line's models: the pipeline, shuffled cross-validation, the
MLPRegressor comparison, warnings counted once, saving and loading."""

import time
import warnings
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_sigmoidnet import SKOPS_TRUSTED_TYPES, TargetMapping
from sklearn_sigmoidnet.exceptions import FitInterruptedWarning

from .data import require
from .errors import CommandLineError, Interrupted
from .files import replaced_atomically
from .results import FoldScored, FoldStarted, WarningCount

# The types a .skops file written by --save holds beyond skops' default trusted
# ones (scikit-learn's, numpy's, builtins): --load trusts these and no others.
TRUSTED_TYPES = ("numpy.dtype", *SKOPS_TRUSTED_TYPES)  # numpy.dtype: SimpleImputer


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


def estimates_alpha(model):
    """Whether ``model`` estimates its penalty in each fit (``alpha="auto"``,
    the only string ``alpha`` takes): the command's one place that asks."""
    return isinstance(model.alpha, str)


def target_units(model, y):
    """y's units per unit of ``model``'s output for targets ``y``."""
    mapping = TargetMapping.fit(np.reshape(y, (-1, 1)), model.target_range)
    return float(mapping.target_units[0])


def mlp_alpha(model, y):
    """SigmoidMLPRegressor's ``alpha`` on MLPRegressor's scale for targets y.

    The penalty is added to a loss on the network's scale: MLPRegressor needs
    ``alpha * target_units**2`` (:class:`~sklearn_sigmoidnet.TargetMapping`)
    for the same balance of fit and penalty. Of three penalties, that of the
    input weights. None for ``alpha="auto"``.
    """
    if estimates_alpha(model):
        return None
    alpha = np.ravel(model.alpha)[0]
    return float(alpha) * target_units(model, y) ** 2


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
    """The warnings of many fits, each distinct message counted once per fit.

    A :class:`~sklearn_sigmoidnet.exceptions.FitInterruptedWarning` (the
    estimator caught Ctrl-C and kept its weights) stops the run: it raises
    :class:`~sklearn_sigmoidnet.cli.errors.Interrupted`.
    """

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
            if issubclass(category, FitInterruptedWarning):
                raise Interrupted(f"{name}: {warning.message}")
            if issubclass(category, DeprecationWarning | PendingDeprecationWarning):
                continue
            message = " ".join(str(warning.message).split())
            seen.add((name, category.__name__, message))
        self.counts.update(seen)

    def counted(self):
        """A :class:`~sklearn_sigmoidnet.cli.results.WarningCount` per
        distinct warning, in the order first seen."""
        return [
            WarningCount(name, category, message, count, self.fits[name])
            for (name, category, message), count in self.counts.items()
        ]


def _ignore(event):
    pass


def cross_validate(pipeline, X, y, *, cv, random_state, name, tally, show=_ignore):
    """R^2 of each shuffled fold and the fit times: ``cross_val_score`` with
    ``KFold(cv, shuffle=True, random_state=random_state)``, fold by fold;
    ``show`` is told of each fold's start and score."""
    folds = KFold(n_splits=cv, shuffle=True, random_state=random_state)
    scores, times = [], []
    for fold, (train, test) in enumerate(folds.split(X), start=1):
        show(FoldStarted(name, fold, cv))
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
        show(FoldScored(name, scores[-1], times[-1]))
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


def save_model(pipeline, path):
    """Write ``pipeline`` to ``path`` (.skops with skops, else joblib),
    atomically: a failure leaves any former file as it was."""
    with replaced_atomically(path, "--save") as temporary:
        if Path(path).suffix.lower() == ".skops":
            require("skops.io", "--save to a .skops file").dump(pipeline, temporary)
        else:
            import joblib

            joblib.dump(pipeline, temporary)


def load_model(path):
    """A fitted model from .skops (trusting only TRUSTED_TYPES) or .joblib."""
    if not Path(path).is_file():
        reason = "it is a directory" if Path(path).is_dir() else "no such file"
        raise CommandLineError(f"cannot read {path}: {reason}")
    if Path(path).suffix.lower() == ".skops":
        loader = _skops_loader(path)
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


def _skops_loader(path):
    sio = require("skops.io", "--load of a .skops file")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as error:  # a damaged file: whatever skops raises
        raise CommandLineError(
            f"cannot load {path}: not a .skops file ({type(error).__name__}: {error})"
        ) from None
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise CommandLineError(
            f"{path} holds types this command does not trust: "
            f"{', '.join(unknown)}. If you trust its source, load it in Python "
            "with skops.io.load(path, trusted=[...])."
        )
    return lambda: sio.load(path, trusted=list(TRUSTED_TYPES))


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


def predictions(model, X, return_std, *, source):
    """{column: values}: the predictions, and their std with ``return_std``.

    Whatever the model raises (a damaged or foreign model, a ``predict``
    without ``return_std``) is a :class:`CommandLineError` naming ``source``.
    """
    target = getattr(model, "target_name_", None) or "prediction"
    try:
        if return_std:
            mean, std = model.predict(X, return_std=True)
            return {f"{target}_predicted": mean, f"{target}_std": std}
        return {f"{target}_predicted": model.predict(X)}
    except ValueError as error:
        message = " ".join(str(error).split())
        raise CommandLineError(f"cannot predict {source}: {message}") from None
    except Exception as error:  # the model's own failure, whatever it is
        message = " ".join(str(error).split())
        raise CommandLineError(
            f"cannot predict {source}: {type(error).__name__}: {message}"
        ) from None
