"""A fit of a CSV file (--csv FILE --target COLUMN): what it read, the
cross-validation, the comparison, the saved model and its plot."""

import re
import signal
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_friedman1
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline

from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet.cli import main
from sklearn_sigmoidnet.cli.errors import Interrupted
from sklearn_sigmoidnet.cli.models import WarningTally, cross_validate
from sklearn_sigmoidnet.exceptions import FitInterruptedWarning
from sklearn_sigmoidnet.plotting import pyplot

from ._cli import (
    MESSY_NUMERIC,
    N_ROWS,
    TRUSTED,
    cli_env,
    fold_scores,
    read_messy_csv,
    run_cli,
    shuffled_cv,
    the_pipeline,
)

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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
    """Every fit stops at max_iter=2 (the defaults converge on this file):
    one line for the warning of the five folds' fits."""
    arguments = ["--csv", str(messy_fit["csv"]), "--target", "price"]
    code, out, err = run_cli(*arguments, "--n-hidden", "5", "--max-iter", "2")
    assert code == 0, err
    lines = [line for line in out.splitlines() if "Warning" in line]
    assert len(lines) == 1
    assert lines[0].startswith(
        "warning: ConvergenceWarning in 5 of 5 SigmoidMLPRegressor fits: "
    )  # five folds, no fit on all rows without --save
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
    from sklearn_sigmoidnet.plotting import plot_training

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


# --------------------------------------------------------------- interrupts
class _InterruptedFit(RegressorMixin, BaseEstimator):
    """Stops as SigmoidMLPRegressor does after Ctrl-C: warns and returns."""

    def fit(self, X, y):
        warnings.warn(
            "fit interrupted, weights kept", FitInterruptedWarning, stacklevel=2
        )
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


class _ChattyFit(_InterruptedFit):
    """A UserWarning that says "interrupted" is not an interrupt."""

    def fit(self, X, y):
        warnings.warn("data interrupted by gaps", UserWarning, stacklevel=2)
        self.mean_ = float(np.mean(y))
        return self


def test_an_interrupted_fit_stops_the_cross_validation():
    X = pd.DataFrame({"a": np.arange(10.0)})
    y = np.arange(10.0)
    tally = WarningTally()
    with pytest.raises(Interrupted):
        cross_validate(
            make_pipeline(_InterruptedFit()),
            X,
            y,
            cv=2,
            random_state=0,
            name="model",
            tally=tally,
        )
    scores, _ = cross_validate(
        make_pipeline(_ChattyFit()), X, y, cv=2, random_state=0, name="m", tally=tally
    )
    assert len(scores) == 2
    assert [(w.category, w.count) for w in tally.counted()] == [("UserWarning", 2)]


_INTERRUPTING = """
import signal, sys
import pandas, sklearn_sigmoidnet.cli.fit  # imported before the timer starts
from sklearn_sigmoidnet.cli import main

def interrupt(*_):
    raise KeyboardInterrupt  # what Ctrl-C raises

signal.signal(signal.SIGALRM, interrupt)
signal.setitimer(signal.ITIMER_REAL, {seconds})
status = main(sys.argv[1:])
signal.setitimer(signal.ITIMER_REAL, 0)
sys.exit(status)
"""


def test_ctrl_c_during_the_cross_validation_is_one_error_line(tmp_path):
    if not hasattr(signal, "setitimer"):
        pytest.skip("signal.setitimer is Unix only")
    X, y = make_friedman1(n_samples=5000, noise=1.0, random_state=0)
    path = tmp_path / "data.csv"
    pd.DataFrame(X).add_prefix("x").assign(y=y).to_csv(path, index=False)
    arguments = ["--csv", path, "--target", "y", "--solver", "lbfgs", "--alpha"]
    arguments += ["0.001", "--n-hidden", "100", "--max-iter", "100000"]
    command = [sys.executable, "-c", _INTERRUPTING.format(seconds=2.0)]
    done = subprocess.run(
        command + [str(argument) for argument in arguments],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=300,
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "error: interrupted\n"
    assert "5-fold cross-validation" in done.stdout
    assert "mean R2" not in done.stdout  # stopped before the table


# ---------------------------------------------------------------- --alpha
def test_three_penalties_reach_the_model_and_the_comparison(tmp_path, noisy, capsys):
    X, y = noisy
    path = tmp_path / "data.csv"
    pd.DataFrame(X[:60, :2], columns=["a", "b"]).assign(y=y[:60]).to_csv(
        path, index=False
    )
    arguments = ["--csv", str(path), "--target", "y", "--alpha", "0.001,0.002,0"]
    arguments += ["--compare", "--cv", "2", "--n-hidden", "2", "--max-iter", "5"]
    assert main(arguments + ["--save", str(tmp_path / "m.joblib")]) == 0
    out = capsys.readouterr().out
    assert joblib.load(tmp_path / "m.joblib")[-1].alpha == (0.001, 0.002, 0.0)
    alpha = 0.001 * (np.ptp(y[:60]) / 0.6) ** 2
    assert "alpha=(0.001, 0.002, 0) (input weights') on the network's" in out
    assert f"MLPRegressor's alpha={alpha:.6g} in y's units" in out
