"""skops persistence: fitted models round-trip through ``skops.io`` bit for bit,
their files hold only the package's own types beside the ones skops trusts by
default (no functions, locks or thread pools in the fitted state), the
documented trusted list loads them, and files that are not what they claim
give clear errors."""

import json
import pickle
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import skops.io as sio
from sklearn.exceptions import ConvergenceWarning, InconsistentVersionWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SKOPS_TRUSTED_TYPES, SigmoidMLPRegressor
from sklearn_sigmoidnet._curvature import KroneckerCurvature
from sklearn_sigmoidnet._row_space import RowSpaceCurvature

ESTIMATOR_TYPE = f"{SigmoidMLPRegressor.__module__}.{SigmoidMLPRegressor.__qualname__}"


def _fit(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


def _own_types(path):
    """The types of the file that skops does not trust by default."""
    return sio.get_untrusted_types(file=path)


def _assert_only_package_types(path):
    untrusted = _own_types(path)
    assert ESTIMATOR_TYPE in untrusted
    for name in untrusted:
        assert name.startswith("sklearn_sigmoidnet."), untrusted
        # a class of the package, not a function, lock or pool it refers to
        obj = _resolve(name)
        assert isinstance(obj, type), (name, obj)


def _resolve(name):
    module_name, _, attribute = name.rpartition(".")
    module = __import__(module_name, fromlist=[attribute])
    return getattr(module, attribute)


def _assert_plain_state(model):
    """The fitted state is data: numbers, strings, arrays, lists, tuples, None
    and the target mapping; no callables, locks, threads or pools, which skops
    would refuse or have to trust."""
    plain = (bool, int, float, str, type(None), np.ndarray, np.generic)

    def check(value, where):
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                check(item, f"{where}[{i}]")
        elif type(value).__module__.startswith("sklearn_sigmoidnet."):
            assert not callable(value), where
            for key, item in vars(value).items():
                check(item, f"{where}.{key}")
        else:
            assert isinstance(value, plain), (where, type(value))

    for key, value in vars(model).items():
        check(value, key)


def _assert_same_state(original, loaded):
    assert type(loaded) is type(original)
    assert loaded.get_params() == original.get_params()
    assert set(vars(loaded)) == set(vars(original))
    for key, value in vars(original).items():
        _assert_same_value(value, getattr(loaded, key), key)


def _assert_same_value(value, other, key):
    """The same value, to the bit: the package's own objects (the target
    mapping, the posterior, gradient descent's state) field by field."""
    if value is not None and type(value).__module__.startswith("sklearn_sigmoidnet."):
        assert type(other) is type(value), key
        assert set(vars(other)) == set(vars(value)), key
        for name, item in vars(value).items():
            _assert_same_value(item, getattr(other, name), f"{key}.{name}")
    elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        assert len(other) == len(value)
        for a, b in zip(value, other, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    elif isinstance(value, np.ndarray):
        assert value.dtype == other.dtype
        np.testing.assert_array_equal(value, other)
    else:
        assert type(other) is type(value), key
        np.testing.assert_equal(other, value, err_msg=key)  # NaN equals NaN


def _round_trip(model, tmp_path):
    for step in getattr(model, "steps", [(None, model)]):
        if isinstance(step[1], SigmoidMLPRegressor):
            _assert_plain_state(step[1])
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    _assert_only_package_types(path)
    return sio.load(path, trusted=_own_types(path)), path


def _assert_same_predictions(original, loaded, X):
    expected, got = original.predict(X), loaded.predict(X)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    # bit for bit, not merely close
    assert expected.tobytes() == got.tobytes()


@pytest.mark.parametrize("alpha", [1e-4, "auto"])
@pytest.mark.parametrize("solver", ["lbfgs", "gd", "lm"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_round_trip_every_solver(friedman, tmp_path, solver, n_outputs, alpha):
    X, y, X_test, _ = friedman
    Y = y if n_outputs == 1 else np.column_stack([y, 2.0 * y + 5.0, -y])
    model = _fit(
        SigmoidMLPRegressor(
            n_hidden=8, solver=solver, alpha=alpha, max_iter=30, random_state=0
        ),
        X,
        Y,
    )
    loaded, _ = _round_trip(model, tmp_path)
    _assert_same_state(model, loaded)
    _assert_same_predictions(model, loaded, X_test)


@pytest.mark.parametrize("solver", ["lbfgs", "lm"])
def test_round_trip_bayesian(friedman, tmp_path, solver):
    """alpha="auto" with restarts: the evidence's state and the posterior come
    back, so ``return_std`` is bit for bit the same too."""
    X, y, X_test, _ = friedman
    model = _fit(
        SigmoidMLPRegressor(
            n_hidden=5,
            solver=solver,
            alpha="auto",
            n_init=2,
            max_iter=30,
            random_state=0,
        ),
        X,
        y,
    )
    loaded, _ = _round_trip(model, tmp_path)
    _assert_same_state(model, loaded)
    _assert_same_predictions(model, loaded, X_test)
    expected = model.predict(X_test, return_std=True)
    got = loaded.predict(X_test, return_std=True)
    for a, b in zip(expected, got, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()


@pytest.mark.parametrize(
    "params, fit",
    [
        ({"early_stopping": True, "solver": "lbfgs"}, "fit"),
        ({"early_stopping": True, "solver": "gd"}, "fit"),
        ({"target_bounds": (0.0, 40.0)}, "partial_fit"),
        ({"warm_start": True, "solver": "lm"}, "fit twice"),
    ],
    ids=["early-stopping-lbfgs", "early-stopping-gd", "partial-fit", "warm-start"],
)
def test_round_trip_other_fitted_states(friedman, tmp_path, params, fit):
    """Validation scores, partial_fit's velocity, warm-started weights."""
    X, y, X_test, _ = friedman
    model = SigmoidMLPRegressor(n_hidden=6, max_iter=20, random_state=0, **params)
    if fit == "partial_fit":
        for start in range(0, 500, 100):
            model.partial_fit(X[start : start + 100], y[start : start + 100])
    else:
        _fit(model, X, y)
        if fit == "fit twice":
            _fit(model, X, y)
    loaded, _ = _round_trip(model, tmp_path)
    _assert_same_state(model, loaded)
    _assert_same_predictions(model, loaded, X_test)
    if fit == "partial_fit":
        # the loaded model streams on exactly as the original does
        model.partial_fit(X[:100], y[:100])
        loaded.partial_fit(X[:100], y[:100])
        _assert_same_predictions(model, loaded, X_test)


def test_round_trip_float32_and_sparse(friedman, tmp_path):
    X, y, X_test, _ = friedman
    model = _fit(
        SigmoidMLPRegressor(n_hidden=6, max_iter=20, random_state=0),
        X.astype(np.float32),
        y,
    )
    loaded, _ = _round_trip(model, tmp_path)
    _assert_same_predictions(model, loaded, X_test.astype(np.float32))
    assert loaded.predict(X_test.astype(np.float32)).dtype == np.float32
    _assert_same_predictions(model, loaded, sp.csr_array(X_test))


def test_round_trip_in_a_pipeline(friedman, tmp_path):
    """scikit-learn's own steps are trusted by default: the package's types are
    still the only ones a user has to trust."""
    X, y, X_test, _ = friedman
    pipeline = _fit(
        make_pipeline(
            StandardScaler(), SigmoidMLPRegressor(n_hidden=6, random_state=0)
        ),
        X * 100.0,
        y,
    )
    loaded, path = _round_trip(pipeline, tmp_path)
    _assert_same_predictions(pipeline, loaded, X_test * 100.0)
    assert sorted(_own_types(path)) == [
        "sklearn_sigmoidnet._data.TargetMapping",
        "sklearn_sigmoidnet._estimator.SigmoidMLPRegressor",
        "sklearn_sigmoidnet._posterior.Posterior",
    ]


def test_documented_trusted_list_loads(friedman, tmp_path):
    """SKOPS_TRUSTED_TYPES, and the list docs/user_guide/persistence.md spells
    out, are exactly what fitted models need: gradient descent's model holds
    every type but the posterior's two large-model forms, the row-space one
    (1,801 weights on 20 rows) and the Kronecker-factored one (5,401 weights
    on 500 rows); each loads with the list and predicts the same bits, its
    standard deviations included."""
    X, y, X_test, _ = friedman
    # gradient descent's model: its state continues partial_fit
    model = _fit(SigmoidMLPRegressor(n_hidden=6, solver="gd", random_state=0), X, y)
    wide = _fit(
        SigmoidMLPRegressor(n_hidden=150, max_iter=5, random_state=0), X[:20], y[:20]
    )
    large = _fit(SigmoidMLPRegressor(n_hidden=450, max_iter=5, random_state=0), X, y)
    assert isinstance(wide._posterior.covariance, RowSpaceCurvature)
    assert isinstance(large._posterior.covariance, KroneckerCurvature)
    trusted = [
        "sklearn_sigmoidnet._curvature.KroneckerCurvature",
        "sklearn_sigmoidnet._data.TargetMapping",
        "sklearn_sigmoidnet._estimator.SigmoidMLPRegressor",
        "sklearn_sigmoidnet._posterior.Posterior",
        "sklearn_sigmoidnet._row_space.RowSpaceCurvature",
        "sklearn_sigmoidnet._training.MomentumState",
    ]
    assert trusted == sorted(SKOPS_TRUSTED_TYPES)
    paths = []
    for name, fitted in (("model", model), ("wide", wide), ("large", large)):
        paths.append(tmp_path / f"{name}.skops")
        sio.dump(fitted, paths[-1])
    held = [set(_own_types(path)) for path in paths]
    assert sorted(set.union(*held)) == trusted
    assert sorted(held[0]) == trusted[1:4] + trusted[5:]
    assert trusted[4] in held[1] and trusted[0] in held[2]
    for fitted, path in zip((model, wide, large), paths, strict=True):
        loaded = sio.load(path, trusted=SKOPS_TRUSTED_TYPES)
        _assert_same_predictions(fitted, loaded, X_test)
        if fitted is not model:
            std = fitted.predict(X_test, return_std=True)[1]
            assert loaded.predict(X_test, return_std=True)[1].tobytes() == std.tobytes()


def test_dumps_and_loads_bytes(friedman):
    X, y, X_test, _ = friedman
    model = _fit(SigmoidMLPRegressor(n_hidden=6, random_state=0), X, y)
    data = sio.dumps(model)
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    _assert_same_predictions(model, loaded, X_test)


def test_loading_without_trust_refuses_and_names_the_types(friedman, tmp_path):
    X, y, _, _ = friedman
    path = tmp_path / "model.skops"
    sio.dump(
        _fit(SigmoidMLPRegressor(n_hidden=4, max_iter=5, random_state=0), X, y), path
    )
    with pytest.raises(Exception, match="Untrusted types found") as info:
        sio.load(path)
    assert ESTIMATOR_TYPE in str(info.value)
    with pytest.raises(Exception, match="Untrusted types found"):
        sio.load(path, trusted=[ESTIMATOR_TYPE])  # not all of them


def test_another_object_is_refused_by_the_trusted_list(tmp_path):
    """A .skops file of another type, holding types outside the list, is refused
    with the names of those types, whatever its file name says."""
    import collections

    path = tmp_path / "model.skops"
    sio.dump(collections.Counter("not a model"), path)
    with pytest.raises(Exception, match="collections.Counter"):
        sio.load(path, trusted=SKOPS_TRUSTED_TYPES)


def test_not_a_skops_file(friedman, tmp_path):
    """A pickle or joblib file named .skops is not unpickled: skops reads zip
    files only, and says so."""
    X, y, _, _ = friedman
    path = tmp_path / "model.skops"
    with open(path, "wb") as handle:
        pickle.dump(
            _fit(SigmoidMLPRegressor(n_hidden=4, max_iter=5, random_state=0), X, y),
            handle,
        )
    with pytest.raises(zipfile.BadZipFile, match="not a zip file"):
        sio.load(path, trusted=[ESTIMATOR_TYPE])
    with pytest.raises(zipfile.BadZipFile):
        sio.get_untrusted_types(file=path)


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_corrupted_file(friedman, tmp_path, damage):
    X, y, _, _ = friedman
    path = tmp_path / "model.skops"
    sio.dump(
        _fit(SigmoidMLPRegressor(n_hidden=4, max_iter=5, random_state=0), X, y), path
    )
    trusted = _own_types(path)
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 3 : len(data) // 3 + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(zipfile.BadZipFile):
        sio.load(path, trusted=trusted)


# ------------------------------------------------ files of the previous release
_RELEASE = Path(__file__).parent / "data"
_RELEASE_MODELS = ["lm_auto", "lbfgs_fixed", "partial"]


def _release_predictions():
    return json.loads((_RELEASE / "release_0_1_0_predictions.json").read_text())


def _load_release(name, kind):
    path = _RELEASE / f"release_0_1_0_{name}.{kind}"
    if kind == "pkl":
        with open(path, "rb") as file:
            return pickle.load(file)
    with warnings.catch_warnings():  # scikit-learn's version-mismatch warning
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        return sio.load(path, trusted=SKOPS_TRUSTED_TYPES)


@pytest.mark.parametrize("kind", ["pkl", "skops"])
@pytest.mark.parametrize("name", _RELEASE_MODELS)
def test_files_of_release_0_1_0_load_and_predict_as_then(name, kind):
    """tests/data holds models pickled and saved by 0.1.0 (written by
    tests/data/make_release_fixtures.py at eb74c65): they load, predict the
    very values 0.1.0 predicted, with its standard deviations, and go on.

    The standard deviations pass through a BLAS matrix product with the
    stored covariance (g^T C g), whose last bits follow the BLAS build: with
    numpy 2.4.6's they moved by 4e-14 relative, so they are compared to
    1e-12; the predictions keep their bits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InconsistentVersionWarning)
        model = _load_release(name, kind)
    expected = _release_predictions()
    X = np.asarray(expected["X"])
    np.testing.assert_array_equal(model.predict(X), expected[name]["predict"])
    if name == "partial":
        assert not hasattr(model, "noise_variance_")
        with pytest.raises(ValueError, match="partial_fit"):
            model.predict(X, return_std=True)
        velocity = model._momentum.velocity.copy()
        model.partial_fit(X, model.predict(X))  # its momentum continues
        assert model.n_iter_ == 4 and not np.array_equal(
            model._momentum.velocity, velocity
        )
    else:
        _, std = model.predict(X, return_std=True)
        np.testing.assert_allclose(std, expected[name]["std"], rtol=1e-12, atol=0)
        assert np.all(model.noise_variance_ > 0) and model._momentum is None
    for old in ("_posterior_covariance", "_noise_variance_network", "_gd_velocity"):
        assert old not in vars(model)
