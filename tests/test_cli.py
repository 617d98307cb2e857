"""The command line (python -m sklearn_sigmoidnet): the demo, a CSV's fit,
predictions from a saved model, and its errors.

Each behaviour is checked by running the command in a subprocess on CSV files
the test writes, against the same pipeline built here in-process; variations
run ``main()`` in-process, which is the same code without a new interpreter
(each subprocess costs seconds of imports).
"""

import contextlib
import inspect
import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, make_friedman1
from sklearn.impute import SimpleImputer
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import KFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor, _cli_data
from sklearn_sigmoidnet.__main__ import main
from sklearn_sigmoidnet._plotting import pyplot

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROOT = Path(__file__).resolve().parents[1]
INSTALL_HINT = "pip install 'sklearn-sigmoidnet[cli]'"
# What a .skops file of the command holds beyond skops' trusted defaults.
TRUSTED = [
    "numpy.dtype",
    "sklearn_sigmoidnet._data.TargetMapping",
    "sklearn_sigmoidnet._estimator.SigmoidMLPRegressor",
]
# Runs the command with some modules made unimportable (argv follows).
_BLOCKING = """
import importlib.abc, runpy, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ImportError(f"No module named {{name!r}} (blocked by the test)")
sys.meta_path.insert(0, _Block())
sys.argv[0] = "sklearn_sigmoidnet"
runpy.run_module("sklearn_sigmoidnet", run_name="__main__", alter_sys=True)
"""


def run_cli(*arguments, blocked=(), stderr_on_terminal=False):
    """The command in a new interpreter: (exit status, stdout, stderr)."""
    command = [sys.executable, "-m", "sklearn_sigmoidnet"]
    if blocked:
        command = [sys.executable, "-c", _BLOCKING.format(blocked=set(blocked))]
    command += [str(argument) for argument in arguments]
    path = [str(ROOT)] + os.environ.get("PYTHONPATH", "").split(os.pathsep)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}
    if not stderr_on_terminal:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=300
        )
        return done.returncode, done.stdout, done.stderr
    pty = pytest.importorskip("pty")  # Unix only
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=terminal, text=True, env=env
    ) as process:
        os.close(terminal)
        out, _ = process.communicate(timeout=300)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal's other end is closed: all read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return process.returncode, out, b"".join(chunks).decode()


def _has_return_std():
    return "return_std" in inspect.signature(SigmoidMLPRegressor.predict).parameters


def fold_scores(out, model="SigmoidMLPRegressor"):
    line = next(
        line
        for line in out.splitlines()
        if line.startswith(f"R2 of each fold, {model}:")
    )
    return np.array([float(value) for value in line.split(":")[1].split()])


def the_pipeline(numeric, categorical=(), model=None, **params):
    """The pipeline the command line documents, built independently."""
    columns = [("numeric", SimpleImputer(strategy="median"), list(numeric))]
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
        columns.append(("categorical", encoder, list(categorical)))
    if model is None:
        model = SigmoidMLPRegressor(**{"random_state": 0, **params})
    return Pipeline(
        [
            ("columns", ColumnTransformer(columns)),
            ("scale", StandardScaler()),
            ("model", model),
        ]
    )


def shuffled_cv(pipeline, X, y, folds=5, seed=0):
    return cross_val_score(
        pipeline, X, y, cv=KFold(folds, shuffle=True, random_state=seed)
    )


# ------------------------------------------------------------------ the demo
def test_demo_runs_with_numpy_scipy_and_scikit_learn_only():
    code, out, err = run_cli(
        "--max-iter", "5", "--alpha", "0.001", blocked=("pandas", "skops", "matplotlib")
    )
    assert code == 0, err
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    ours = SigmoidMLPRegressor(n_hidden=20, alpha=0.001, max_iter=5, random_state=0)
    ours = make_pipeline(StandardScaler(), ours).fit(X_train, y_train)
    alpha = 0.001 * (np.ptp(y_train) / 0.6) ** 2
    mlp = MLPRegressor(
        hidden_layer_sizes=(20,),
        activation="logistic",
        solver="lbfgs",
        alpha=alpha,
        max_iter=5,
        random_state=0,
    )
    mlp = make_pipeline(StandardScaler(), mlp).fit(X_train, y_train)
    # data (4 words), model, alpha, test R2, fit time, iterations
    lines = {
        line.split()[4]: line.split()[5:]
        for line in out.splitlines()
        if line.startswith("diabetes")
    }
    assert lines["SigmoidMLPRegressor"][0] == "0.001"
    assert lines["SigmoidMLPRegressor"][1] == f"{ours.score(X_test, y_test):.4f}"
    assert lines["SigmoidMLPRegressor"][-1] == "5"
    assert lines["MLPRegressor"][0] == f"{alpha:.3g}"
    assert lines["MLPRegressor"][1] == f"{mlp.score(X_test, y_test):.4f}"
    assert "Friedman" in out and "alpha converted to y's units" in out
    # the fits' ConvergenceWarnings, once each in the summary
    assert out.count("warning: ConvergenceWarning in 2 of 2 SigmoidMLPRegressor") == 1


def test_missing_pandas_or_skops_is_one_error_line(tmp_path, monkeypatch, capsys):
    path = tmp_path / "data.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(20)))
    real_import = _cli_data.importlib.import_module
    blocked = set()

    def import_module(name, *args):
        if name.partition(".")[0] in blocked:
            raise ImportError(name)
        return real_import(name, *args)

    monkeypatch.setattr(_cli_data.importlib, "import_module", import_module)
    for module, arguments, purpose in [
        ("pandas", [], "reading CSV files"),
        ("skops", ["--save", "m.skops"], "--save to a .skops file"),
    ]:
        blocked.add(module)
        assert main(["--csv", str(path), "--target", "y", *arguments]) == 2
        out, err = capsys.readouterr()
        assert out == ""  # refused before fitting anything
        assert err == (
            f"error: {purpose} needs {module}, which is not installed: {INSTALL_HINT}\n"
        )


# ------------------------------------- a messy CSV, fitted and saved as .skops
N_ROWS = 240
DROPPED = (10, 150, 239)  # rows (after sorting by y) without a target


def write_messy_csv(path):
    """BOM, semicolons, True/False, a text column, missing cells and targets,
    rows sorted by the target."""
    X, y = make_friedman1(n_samples=N_ROWS, noise=1.0, random_state=0)
    rng = np.random.default_rng(0)
    town = np.array(["north", "south", "east"])[rng.integers(0, 3, N_ROWS)]
    flag = rng.random(N_ROWS) < 0.5
    y = y + 3.0 * (town == "north") + 1.0 * flag
    lines = ["x0;x1;town;x2;flag;x3;price"]
    for k, i in enumerate(np.argsort(y)):
        cells = [repr(float(value)) for value in X[i, :4]]
        cells.insert(2, "" if k % 97 == 3 else town[i])
        cells.insert(4, "" if k == 100 else str(bool(flag[i])))
        cells[1] = "" if k % 37 == 5 else cells[1]
        cells[3] = "NA" if k % 41 == 7 else cells[3]
        cells.append("" if k in DROPPED else repr(float(y[i])))
        lines.append(";".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def read_messy_csv(path):
    table = pd.read_csv(path, sep=";", encoding="utf-8-sig")
    table["flag"] = table["flag"].map({True: 1.0, False: 0.0})
    table = table.dropna(subset=["price"]).reset_index(drop=True)
    return table.drop(columns="price"), table["price"].to_numpy()


MESSY_NUMERIC = ["x0", "x1", "x2", "flag", "x3"]  # the file's order, bools included


@pytest.fixture(scope="module")
def messy_fit(tmp_path_factory):
    """The command run on the messy file: in a subprocess saving .joblib, and
    in-process saving .skops (importing skops can take seconds)."""
    pytest.importorskip("skops")
    folder = tmp_path_factory.mktemp("messy")
    csv_path = folder / "houses.csv"
    write_messy_csv(csv_path)
    arguments = ["--csv", str(csv_path), "--target", "price", "--n-hidden", "5"]
    arguments += ["--max-iter", "100"]
    joblib_path, skops_path = folder / "model.joblib", folder / "model.skops"
    code, out, err = run_cli(*arguments, "--save", joblib_path)
    assert code == 0, err
    in_process = io.StringIO()
    with contextlib.redirect_stdout(in_process):
        assert main(arguments + ["--save", str(skops_path)]) == 0
    return {
        "csv": csv_path,
        "model": skops_path,
        "joblib": joblib_path,
        "out": out,
        "err": err,
        "in_process": in_process.getvalue(),
    }


def test_fit_describes_what_it_read_encoded_imputed_and_dropped(messy_fit):
    out = messy_fit["out"]
    assert f"{N_ROWS} rows, 7 columns (delimiter ';', sniffed); target 'price'" in out
    assert f"dropped 3 rows whose target 'price' is missing: {N_ROWS - 3} rows" in out
    X, _ = read_messy_csv(messy_fit["csv"])
    assert X.columns[0] == "x0"  # the byte order mark is not in the name
    counts = X.isna().sum()
    assert counts["x1"] > 0 and counts["x2"] > 0 and counts["flag"] == 1
    assert "  one-hot encoded (OneHotEncoder(handle_unknown='ignore')): " in out
    assert "'town' (3 categories)" in out
    assert "  True/False read as 1/0: 'flag'" in out
    assert (
        "  missing values imputed with the median (SimpleImputer): "
        f"'x1' ({counts['x1']} rows), 'x2' ({counts['x2']} rows), 'flag' (1 rows)"
    ) in out
    assert f"a category of their own: 'town' ({counts['town']} rows)" in out
    # MLPRegressor only with --compare
    assert not re.search(r"^MLPRegressor|\bMLPRegressor's", out, re.M)
    assert messy_fit["err"] == ""  # no progress off a terminal, no raw warnings


def test_headline_r2_is_a_shuffled_cross_validation(messy_fit):
    """Rows sorted by the target: unshuffled folds would extrapolate."""
    out = messy_fit["out"]
    X, y = read_messy_csv(messy_fit["csv"])
    pipeline = the_pipeline(MESSY_NUMERIC, ["town"], n_hidden=5, max_iter=100)
    printed = fold_scores(out)
    np.testing.assert_allclose(printed, shuffled_cv(pipeline, X, y), rtol=0, atol=1e-9)
    headline = re.search(r"^SigmoidMLPRegressor +(\S+) +(\S+)", out, re.M)
    assert float(headline[1]) == pytest.approx(printed.mean(), abs=5e-5)
    assert float(headline[2]) == pytest.approx(printed.std(), abs=5e-5)
    # within 0.05 of other shuffles' 5-fold R^2, far from unshuffled folds'
    others = [shuffled_cv(pipeline, X, y, seed=seed).mean() for seed in (1, 2, 3)]
    assert abs(printed.mean() - np.mean(others)) < 0.05
    grouped = cross_val_score(pipeline, X, y, cv=KFold(5)).mean()
    assert printed.mean() - grouped > 0.3
    assert "5-fold cross-validation on shuffled rows (KFold(n_splits=5, " in out


def test_convergence_warnings_are_counted_once(messy_fit):
    lines = [line for line in messy_fit["out"].splitlines() if "Warning" in line]
    assert len(lines) == 1
    assert lines[0].startswith(
        "warning: ConvergenceWarning in 6 of 6 SigmoidMLPRegressor fits: "
    )  # five folds and the fit on all rows
    assert "max_iter" in lines[0] or "maximum number of iterations" in lines[0]


def test_saved_model_knows_its_columns_target_and_defaults(messy_fit):
    sio = pytest.importorskip("skops.io")
    path = messy_fit["model"]
    assert sorted(sio.get_untrusted_types(file=path)) == TRUSTED
    pipeline = sio.load(path, trusted=TRUSTED)
    assert pipeline.target_name_ == "price"
    assert list(pipeline.feature_names_in_) == ["x0", "x1", "town", "x2", "flag", "x3"]
    # SigmoidMLPRegressor's own defaults but for the options given
    params = pipeline[-1].get_params()
    defaults = SigmoidMLPRegressor().get_params()
    changed = {key for key in params if params[key] != defaults[key]}
    assert changed == {"n_hidden", "max_iter", "random_state"}
    assert params["n_hidden"] == 5 and params["max_iter"] == 100
    # the same in-process as in the subprocess
    np.testing.assert_array_equal(
        fold_scores(messy_fit["in_process"]), fold_scores(messy_fit["out"])
    )
    X, y = read_messy_csv(messy_fit["csv"])
    from_joblib = joblib.load(messy_fit["joblib"])
    assert from_joblib.target_name_ == "price"
    np.testing.assert_array_equal(pipeline.predict(X), from_joblib.predict(X))
    # the fit of every row with a target, to the bit
    X, y = read_messy_csv(messy_fit["csv"])
    expected = the_pipeline(MESSY_NUMERIC, ["town"], n_hidden=5, max_iter=100)
    expected.fit(X, y)
    np.testing.assert_array_equal(pipeline.predict(X), expected.predict(X))


# ------------------------------------------------ predictions from the model
def write_new_rows(messy_fit, path, reorder=True):
    """30 rows of the features: reversed columns, an id, the target, an unseen
    category and missing cells, written with commas."""
    table = pd.read_csv(messy_fit["csv"], sep=";", encoding="utf-8-sig").head(30)
    table.loc[3, "town"] = "west"
    table.loc[4, "x0"] = np.nan
    table.insert(0, "id", np.arange(30))
    if reorder:
        table = table[table.columns[::-1]]
    table.to_csv(path, index=False)
    features = table.drop(columns=["id", "price"])
    features["flag"] = features["flag"].map({True: 1.0, False: 0.0})
    return features


def test_predict_matches_columns_by_name(messy_fit, tmp_path):
    sio = pytest.importorskip("skops.io")
    pipeline = sio.load(messy_fit["model"], trusted=TRUSTED)
    new_path, output = tmp_path / "new.csv", tmp_path / "predictions.csv"
    features = write_new_rows(messy_fit, new_path)
    with_std = _has_return_std()
    arguments = ["--load", messy_fit["model"], "--predict", new_path]
    arguments += ["--output", output] + (["--return-std"] if with_std else [])
    code, out, err = run_cli(*arguments)
    assert code == 0, err
    written = pd.read_csv(output)
    assert len(written) == 30
    expected = pipeline.predict(features)
    np.testing.assert_array_equal(written["price_predicted"], expected)
    # the same as the columns in the training order
    in_order = features[list(pipeline.feature_names_in_)]
    np.testing.assert_array_equal(expected, pipeline.predict(in_order))
    if with_std:
        _, std = pipeline.predict(features, return_std=True)
        np.testing.assert_array_equal(written["price_std"], std)
    assert f"predicted 30 rows of {new_path}: price_predicted" in out
    assert "categories of 'town' not seen in training" in out and "'west'" in out
    assert "columns not used by the model: 'price', 'id'" in out


def test_predict_names_every_missing_column_in_one_line(messy_fit, tmp_path, capsys):
    sio = pytest.importorskip("skops.io")
    model_path = tmp_path / "model.joblib"  # joblib, chosen by the extension
    joblib.dump(sio.load(messy_fit["model"], trusted=TRUSTED), model_path)
    new_path = tmp_path / "new.csv"
    write_new_rows(messy_fit, new_path)
    pd.read_csv(new_path).drop(columns=["x1", "town"]).to_csv(new_path, index=False)
    assert main(["--load", str(model_path), "--predict", str(new_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"error: {new_path} lacks 2 columns the model needs: 'x1', 'town' (it has "
        "'price', 'x3', 'flag', 'x2', 'x0', 'id')."
    ]


def test_predict_reports_unusable_files_in_one_line(messy_fit, tmp_path, capsys):
    new_path = tmp_path / "new.csv"
    write_new_rows(messy_fit, new_path)
    model = str(messy_fit["model"])
    garbage = tmp_path / "garbage.skops"
    garbage.write_bytes(b"\x00\x01not a zip file")
    cases = [
        (["--load", model, "--predict", str(tmp_path / "nowhere.csv")], "cannot read"),
        (["--load", model, "--predict", str(tmp_path)], "cannot read"),
        (
            ["--load", str(tmp_path / "none.skops"), "--predict", str(new_path)],
            "no such",
        ),
        (["--load", str(garbage), "--predict", str(new_path)], "not a .skops file"),
    ]
    for arguments, message in cases:
        assert main(arguments) == 2
        out, err = capsys.readouterr()
        assert len(err.splitlines()) == 1 and err.startswith("error: ")
        assert message in err


def _double(X):
    return 2 * X


def test_load_trusts_only_the_types_it_saves(tmp_path, capsys):
    sio = pytest.importorskip("skops.io")
    from sklearn.preprocessing import FunctionTransformer

    table = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    model = make_pipeline(FunctionTransformer(_double), StandardScaler())
    model.steps.append(("model", SigmoidMLPRegressor(n_hidden=2, max_iter=2)))
    model.fit(table, [1.0, 2.0, 4.0])
    path = tmp_path / "other.skops"
    sio.dump(model, path)
    table.to_csv(tmp_path / "new.csv", index=False)
    assert main(["--load", str(path), "--predict", str(tmp_path / "new.csv")]) == 2
    err = capsys.readouterr().err
    assert "holds types this command does not trust: " in err
    assert "_double" in err


def test_return_std_follows_the_signature_of_predict(
    messy_fit, tmp_path, capsys, monkeypatch
):
    sio = pytest.importorskip("skops.io")
    new_path, output = tmp_path / "new.csv", tmp_path / "out.csv"
    features = write_new_rows(messy_fit, new_path)
    arguments = ["--load", str(messy_fit["model"]), "--predict", str(new_path)]
    arguments += ["--output", str(output), "--return-std"]
    if _has_return_std():
        assert main(arguments) == 0
        written = pd.read_csv(output)
        pipeline = sio.load(messy_fit["model"], trusted=TRUSTED)
        mean, std = pipeline.predict(features, return_std=True)
        np.testing.assert_array_equal(written["price_predicted"], mean)
        np.testing.assert_array_equal(written["price_std"], std)
        capsys.readouterr()
    # a predict without return_std: one error line
    original = SigmoidMLPRegressor.predict
    monkeypatch.setattr(
        SigmoidMLPRegressor, "predict", lambda self, X: original(self, X)
    )
    assert main(arguments) == 2
    assert capsys.readouterr().err == (
        "error: --return-std: this version of SigmoidMLPRegressor.predict has no "
        "return_std parameter\n"
    )


def test_alpha_auto_is_passed_on_and_compared_fairly(tmp_path, noisy, capsys):
    X, y = noisy
    path = tmp_path / "data.csv"
    frame = pd.DataFrame(X[:60, :2], columns=["a", "b"]).assign(y=y[:60])
    frame.to_csv(path, index=False)
    arguments = ["--csv", str(path), "--target", "y", "--alpha", "auto"]
    arguments += ["--compare", "--cv", "2", "--n-hidden", "2", "--max-iter", "5"]
    assert main(arguments + ["--save", str(tmp_path / "m.joblib")]) == 0
    out = capsys.readouterr().out
    assert "SigmoidMLPRegressor's alpha='auto' is estimated in each fit" in out
    assert "MLPRegressor keeps its default alpha=0.0001" in out
    fitted = joblib.load(tmp_path / "m.joblib")[-1]
    assert fitted.alpha == "auto"
    shown = ", ".join(f"{value:.4g}" for value in fitted.alpha_)
    assert f"alpha_=({shown}) (input weights, hidden biases, outputs)" in out


# ------------------------------- the comparison, the plot, progress, joblib
def test_compare_plot_and_progress_on_a_terminal(tmp_path, noisy):
    pytest.importorskip("matplotlib")
    X, y = noisy
    X, y = X[:150, :5], y[:150]
    names = [f"x{j}" for j in range(5)]
    csv_path = tmp_path / "plain.csv"
    pd.DataFrame(X, columns=names).assign(y=y).to_csv(csv_path, index=False)
    model_path, plot_path = tmp_path / "model.joblib", tmp_path / "loss.png"
    arguments = ["--csv", csv_path, "--target", "y", "--cv", "3", "--compare"]
    arguments += ["--n-hidden", "4", "--max-iter", "20", "--alpha", "0.001"]
    arguments += ["--early-stopping", "--save", model_path, "--plot", plot_path]
    code, out, err = run_cli(*arguments, stderr_on_terminal=True)
    assert code == 0, err
    frame = pd.read_csv(csv_path)
    X, y = frame[names], frame["y"].to_numpy()
    params = {"n_hidden": 4, "max_iter": 20, "alpha": 0.001, "early_stopping": True}
    ours = the_pipeline(names, **params)
    np.testing.assert_allclose(
        fold_scores(out), shuffled_cv(ours, X, y, folds=3), rtol=0, atol=1e-9
    )
    # MLPRegressor: the same units, iterations and seed, alpha converted
    alpha = 0.001 * (np.ptp(y) / 0.6) ** 2
    mlp = MLPRegressor(
        hidden_layer_sizes=(4,),
        activation="logistic",
        solver="lbfgs",
        alpha=alpha,
        max_iter=20,
        random_state=0,
    )
    np.testing.assert_allclose(
        fold_scores(out, "MLPRegressor"),
        shuffled_cv(the_pipeline(names, model=mlp), X, y, folds=3),
        rtol=0,
        atol=1e-9,
    )
    assert "alpha converted: SigmoidMLPRegressor's alpha=0.001 on the " in out
    assert f"MLPRegressor's alpha={alpha:.6g} in y's units" in out
    assert "MLPRegressor ignores early_stopping with lbfgs" in out
    # progress on the terminal, fold by fold, then the fit on all rows
    for model in ["SigmoidMLPRegressor", "MLPRegressor"]:
        for fold in (1, 2, 3):
            assert f"{model}: fold {fold}/3 ... R2 " in err
    assert "SigmoidMLPRegressor: fitting all 150 rows ..." in err
    # joblib by the extension; the plot written
    saved = joblib.load(model_path)
    expected = the_pipeline(names, **params).fit(X, y)
    np.testing.assert_array_equal(saved.predict(X), expected.predict(X))
    assert saved.target_name_ == "y"
    assert plot_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_shows_the_loss_in_the_targets_units(tmp_path):
    pytest.importorskip("matplotlib")
    from sklearn_sigmoidnet._plotting import plot_training

    X, y = make_friedman1(n_samples=200, noise=1.0, random_state=0)
    y = 100 * y  # a range far from the network's
    model = SigmoidMLPRegressor(n_hidden=5, alpha=0.0, max_iter=30, random_state=0)
    model.fit(X, y)
    figure = plot_training(model, tmp_path / "a.png", title="data.csv", target="y")
    curve = figure.axes[0].lines[0].get_ydata()
    # alpha=0: the last loss is half the network-scale MSE; in y's units the MSE
    np.testing.assert_allclose(curve[-1], mean_squared_error(y, model.predict(X)))
    scale = 2 * (np.ptp(y) / 0.6) ** 2
    np.testing.assert_allclose(curve, np.array(model.loss_curve_) * scale)
    assert figure.axes[0].get_ylabel() == "mean squared error + L2 penalty, (y)²"
    ticks = figure.axes[0].get_xticks()
    np.testing.assert_array_equal(ticks, np.round(ticks))
    assert figure.axes[0].get_title() == "data.csv"
    pyplot().close(figure)
    # early stopping: the validation R^2 on a second axis
    model.set_params(early_stopping=True, alpha=1e-4).fit(X, y)
    figure = plot_training(model, tmp_path / "b.png", title="t", target="y")
    assert len(figure.axes) == 2
    np.testing.assert_array_equal(
        figure.axes[1].lines[0].get_ydata(), model.validation_scores_
    )
    pyplot().close(figure)


# ------------------------------------------- columns it cannot use, options
def test_unusable_columns_are_named_in_one_message(tmp_path, capsys):
    rng = np.random.default_rng(0)
    lines = ["id,name,x,score,y"]
    for i in range(40):
        score = "?" if i % 10 == 3 else f"{rng.normal():.4f}"
        target = "?" if i % 13 == 5 else f"{2 * i + rng.normal():.4f}"
        lines.append(f"{i},person{i},{i / 40:.3f},{score},{target}")
    path = tmp_path / "people.csv"
    path.write_text("\n".join(lines) + "\n")
    assert main(["--csv", str(path), "--target", "y"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: cannot use these ")
    assert "the target 'y' is not numeric (it holds '?'; --na-values '?'" in err
    assert "column 'name' has 37 distinct text values in 37 rows" in err
    assert "--drop 'name'" in err
    assert "column 'score' holds numbers and '?' (--na-values '?'" in err
    # as suggested: it then runs, dropping rows without a target
    arguments = ["--csv", str(path), "--target", "y", "--na-values", "?"]
    arguments += ["--drop", "name", "--cv", "2", "--n-hidden", "2", "--max-iter", "3"]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "dropped 3 rows whose target 'y' is missing: 37 rows used" in out
    assert "'score' (4 rows)" in out and "ignored, --drop: 'name'" in out


def test_options_reach_the_model(tmp_path, noisy, capsys):
    X, y = noisy
    names = ["a", "b", "c"]
    frame = pd.DataFrame(X[:80, :3], columns=names).assign(y=y[:80])
    csv_path, new_path = tmp_path / "data.tsv", tmp_path / "new.tsv"
    frame.to_csv(csv_path, sep="\t", index=False)
    frame[names[::-1]].head(7).to_csv(new_path, sep="\t", index=False)
    model_path, output = tmp_path / "model.joblib", tmp_path / "out.csv"
    arguments = ["--csv", csv_path, "--target", "y", "--delimiter", "tab"]
    arguments += ["--cv", "2", "--n-hidden", "3", "--solver", "lm", "--alpha", "0"]
    arguments += ["--max-iter", "4", "--early-stopping", "--random-state", "7"]
    arguments += ["--save", model_path, "--predict", new_path, "--output", output]
    assert main([str(argument) for argument in arguments]) == 0
    out = capsys.readouterr().out
    assert "(delimiter tab, given)" in out
    assert (
        "(set by --n-hidden, --solver, --alpha, --max-iter, --early-stopping; " in out
    )
    saved = joblib.load(model_path)
    params = saved[-1].get_params()
    expected = {"n_hidden": 3, "solver": "lm", "alpha": 0.0, "max_iter": 4}
    expected.update(early_stopping=True, random_state=7)
    assert {key: params[key] for key in expected} == expected
    pipeline = the_pipeline(names, **expected)
    np.testing.assert_allclose(
        fold_scores(out),
        shuffled_cv(pipeline, frame[names], frame["y"], folds=2, seed=7),
        rtol=0,
        atol=1e-9,
    )
    # --predict right after the fit: the pipeline fitted on all rows
    np.testing.assert_array_equal(
        pd.read_csv(output)["y_predicted"], saved.predict(frame[names].head(7))
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--cv", "1"], "argument --cv: must be at least 2, got 1"),
        (["--delimiter", "\\t"], "(for a tab write --delimiter tab)"),
        (["--delimiter", ";;"], "must be one character"),
        (["--alpha", "-1"], "argument --alpha: must be a number >= 0"),
        (["--alpha", "nan"], "argument --alpha: must be a number >= 0"),
        (["--max-iter", "0"], "argument --max-iter: must be at least 1"),
        (["--n-hidden", "two"], "expected a whole number, got 'two'"),
        (["--random-state", "-1"], "must be from 0 to 4294967295"),
        (["--solver", "adam"], "invalid choice: 'adam'"),
        (["--encoding", "klingon"], "unknown encoding 'klingon'"),
        (["--save", "model.pkl"], "name a .skops file (or .joblib"),
        (["--csv", "data.csv"], "--csv and --target go together"),
        (["--target", "y"], "--csv and --target go together"),
        (["--save", "m.joblib"], "--save needs --csv FILE --target COLUMN"),
        (["--plot", "p.png"], "--plot needs --csv FILE --target COLUMN"),
        (["--cv", "3"], "--cv needs --csv FILE"),
        (["--load", "m.skops"], "--load needs --predict NEW.csv"),
        (["--load", "m.skops", "--predict", "n.csv", "--cv", "3"], "not with --load"),
        (["--predict", "n.csv"], "--predict needs --csv FILE"),
        (["--output", "o.csv"], "--output goes with --predict"),
        (["--csv", "d.csv", "--target", "y", "--mlp-alpha", "1"], "--compare"),
        (["--csv", "d.csv", "--target", "y", "--predict", "n.csv"], "--output"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_options_are_one_error_line(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert err.startswith("error: ") and message in err


def test_bad_option_value_in_a_subprocess_has_no_traceback():
    code, out, err = run_cli("--n-hidden", "0")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: argument --n-hidden: must be at least 1, got 0 (--help lists the "
        "options)"
    ]


def test_bad_paths_are_refused_before_any_fit(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(20)))
    base = ["--csv", str(path), "--target", "y"]
    cases = [
        (["--save", str(tmp_path / "no" / "m.joblib")], "no such directory"),
        (["--csv", str(tmp_path / "nowhere.csv"), "--target", "y"], "cannot read"),
        (["--target", "z"], "no column 'z' in"),
        (["--target", "Y"], "(did you mean 'y'?)"),
        (["--drop", "w"], "--drop: no column 'w'"),
        (["--cv", "11"], "has 20 rows with a target: this needs at least 22"),
    ]
    if pyplot() is not None:
        cases.append((["--plot", str(tmp_path / "a.xyz")], "cannot write .xyz"))
    for arguments, message in cases:
        assert main(base + arguments) == 2
        out, err = capsys.readouterr()
        assert out == "" and len(err.splitlines()) == 1
        assert err.startswith("error: ") and message in err


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    options = ["--csv", "--target", "--delimiter", "--encoding", "--na-values"]
    options += ["--drop", "--cv", "--compare", "--mlp-alpha", "--random-state"]
    options += ["--n-hidden", "--solver", "--alpha", "--max-iter", "--early-stopping"]
    options += ["--save", "--plot", "--load", "--predict", "--output", "--return-std"]
    for option in options:
        assert option in out
    # the model's options show the class's defaults
    defaults = SigmoidMLPRegressor().get_params()
    alpha = defaults["alpha"]
    assert f"hidden units ({defaults['n_hidden']})" in out
    assert f"({alpha if isinstance(alpha, str) else format(alpha, '.3g')})" in out


# ------------------------------------------------------------- the reading
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path, delimiter):
    rows = [["a", "b b", "c"], ["1.5", '"x, y; z"', "2"], ["3", "w", "4"]]
    path = tmp_path / "data.csv"
    path.write_text("\n".join(delimiter.join(row) for row in rows) + "\n")
    table, found = _cli_data.read_table(path)
    assert found == delimiter
    assert list(table.columns) == ["a", "b b", "c"]
    assert table["b b"].tolist() == ["x, y; z", "w"]


def test_decimal_commas_with_semicolons_are_sniffed(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a;b;y\n1,5;2,5;3\n4,0;5,5;6\n")
    table, found = _cli_data.read_table(path)
    assert found == ";" and list(table.columns) == ["a", "b", "y"]


def test_a_merged_header_suggests_the_delimiter(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("a:b:y\n" + "".join(f"{i}:{i % 4}:{i % 3}\n" for i in range(20)))
    assert main(["--csv", str(path), "--target", "y"]) == 2
    err = capsys.readouterr().err
    assert "The header came out as one column ('a:b:y')" in err
    assert "pass --delimiter ':'" in err
    arguments = ["--csv", str(path), "--target", "y", "--delimiter", ":"]
    assert main(arguments + ["--max-iter", "2", "--n-hidden", "2"]) == 0
    assert "(delimiter ':', given)" in capsys.readouterr().out


def test_encodings_and_byte_order_marks(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes("ville,y\nSète,1\nNîmes,2\n".encode("cp1252"))
    with pytest.raises(_cli_data.CommandLineError, match="--encoding"):
        _cli_data.read_table(path)
    table, _ = _cli_data.read_table(path, encoding="cp1252")
    assert table["ville"].tolist() == ["Sète", "Nîmes"]
    path.write_bytes("ville,y\nSète,1\n".encode("utf-8-sig"))
    assert list(_cli_data.read_table(path)[0].columns) == ["ville", "y"]


def test_true_false_columns_are_numbers(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,y\nTrue,false,1\nFalse,,2\nTrue,true,3\nFalse,false,4\n")
    table, _ = _cli_data.read_table(path)
    data = _cli_data.training_data(table, "y", path=path)
    assert data.booleans == ["a", "b"] and data.categorical == []
    assert data.X["a"].tolist() == [1.0, 0.0, 1.0, 0.0]
    np.testing.assert_array_equal(data.X["b"], [0.0, np.nan, 1.0, 0.0])
    assert data.missing == {"b": 1}


def test_a_large_file_is_read_quickly(tmp_path):
    """The goal: 1,000,000 x 10 in under 3 s; here 200,000 x 10 in 1.5 s
    (the former pure-Python reader took about 2.8 s for these)."""
    rng = np.random.default_rng(0)
    block = "\n".join(
        ",".join(f"{value:.17g}" for value in row)
        for row in rng.normal(size=(2000, 10))
    )
    path = tmp_path / "large.csv"
    header = ",".join(f"x{j}" for j in range(9)) + ",y\n"
    path.write_text(header + "\n".join([block] * 100) + "\n")
    start = time.perf_counter()
    table, _ = _cli_data.read_table(path)
    data = _cli_data.training_data(table, "y", path=path)
    elapsed = time.perf_counter() - start
    assert data.X.shape == (200_000, 9)
    assert elapsed < 1.5, f"{elapsed:.2f} s"
