"""The command line (python -m sklearn_sigmoidnet): the demo and a CSV's fit."""

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.model_selection import cross_validate, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor
from sklearn_sigmoidnet.__main__ import main

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _write_csv(path, X, y, extra=None, delimiter=","):
    header = [f"x{j}" for j in range(X.shape[1])] + ["target"]
    lines = [delimiter.join(header + ([extra[0]] if extra else []))]
    for i, (row, value) in enumerate(zip(X, y, strict=True)):
        cells = [repr(float(v)) for v in row] + [repr(float(value))]
        if extra:
            cells.append(extra[1](i))
        lines.append(delimiter.join(cells))
    path.write_text("\n".join(lines) + "\n")


def _pipeline(max_iter, n_hidden=20, solver="lbfgs", alpha=0.01):
    """The pipeline the command line fits, with its defaults."""
    return make_pipeline(
        StandardScaler(),
        SigmoidMLPRegressor(
            n_hidden=n_hidden,
            solver=solver,
            alpha=alpha,
            max_iter=max_iter,
            random_state=0,
        ),
    )


def test_cli_demo_runs(capsys):
    assert main(["--max-iter", "5"]) == 0
    out = capsys.readouterr().out
    assert "diabetes" in out and "Friedman" in out and "MLPRegressor" in out
    # the diabetes line is the fit it describes
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0
    )
    pipeline = _pipeline(max_iter=5).fit(X_train, y_train)
    line = next(
        line
        for line in out.splitlines()
        if line.startswith("diabetes") and "SigmoidMLPRegressor" in line
    )
    assert f"{pipeline.score(X_test, y_test):8.4f}" in line
    assert line.split()[-1] == str(pipeline[-1].n_iter_) == "5"


def test_cli_fits_a_csv_saves_and_plots(tmp_path, capsys, noisy):
    X, y = noisy
    csv_path = tmp_path / "mine.csv"
    _write_csv(csv_path, X[:200], y[:200])
    model_path = tmp_path / "model.joblib"
    plot_path = tmp_path / "loss.png"
    try:
        import matplotlib  # noqa: F401

        has_matplotlib = True
    except ImportError:
        has_matplotlib = False
    arguments = ["--csv", str(csv_path), "--target", "target", "--cv", "3"]
    arguments += ["--max-iter", "30", "--save", str(model_path)]
    arguments += ["--plot", str(plot_path)]
    code = main(arguments)
    out, err = capsys.readouterr()
    assert "mean R2" in out and "SigmoidMLPRegressor" in out and "MLPRegressor" in out
    pipeline = joblib.load(model_path)
    assert pipeline.predict(X[:5]).shape == (5,)
    if has_matplotlib:
        assert code == 0 and plot_path.stat().st_size > 0
    else:
        assert code == 2 and "matplotlib is not installed" in err
    # the saved pipeline is the fit of every row of the file, bit for bit
    # (the CSV holds repr(float): the values round-trip exactly)
    expected = _pipeline(max_iter=30).fit(X[:200], y[:200])
    np.testing.assert_array_equal(pipeline.predict(X), expected.predict(X))
    # and the cross-validated R^2 printed is that of the same pipeline
    scores = cross_validate(_pipeline(max_iter=30), X[:200], y[:200], cv=3)
    line = next(line for line in out.splitlines() if line.startswith("SigmoidMLP"))
    mean, std = (float(value) for value in line.split()[1:3])
    assert mean == pytest.approx(scores["test_score"].mean(), abs=5e-5)
    assert std == pytest.approx(scores["test_score"].std(), abs=5e-5)
    assert "200 rows, 10 features, target 'target'; 3-fold" in out


def test_cli_options_reach_the_model(tmp_path, capsys, noisy):
    X, y = noisy
    csv_path = tmp_path / "semicolons.csv"
    _write_csv(csv_path, X[:60, :3], y[:60], delimiter=";")
    model_path = tmp_path / "model.joblib"
    arguments = ["--csv", str(csv_path), "--target", "target", "--delimiter", ";"]
    arguments += ["--cv", "2", "--n-hidden", "3", "--solver", "lm", "--alpha", "0.5"]
    arguments += ["--max-iter", "4", "--random-state", "0", "--save", str(model_path)]
    assert main(arguments) == 0
    model = joblib.load(model_path)[-1]
    assert (model.n_hidden, model.solver, model.alpha, model.max_iter) == (
        3,
        "lm",
        0.5,
        4,
    )
    expected = _pipeline(max_iter=4, n_hidden=3, solver="lm", alpha=0.5)
    expected.fit(X[:60, :3], y[:60])
    np.testing.assert_array_equal(
        joblib.load(model_path).predict(X[:, :3]), expected.predict(X[:, :3])
    )


def test_cli_names_a_non_numeric_column(tmp_path, capsys, noisy):
    X, y = noisy
    csv_path = tmp_path / "bad.csv"
    _write_csv(csv_path, X[:20], y[:20], extra=("city", lambda i: f"town{i}"))
    assert main(["--csv", str(csv_path), "--target", "target"]) == 2
    assert "column 'city' is not numeric" in capsys.readouterr().err
    assert main(["--csv", str(csv_path), "--target", "price"]) == 2
    assert "no column 'price'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "is empty"),
        ("x,target\n1,2\n", "fewer than 2 data rows"),
        ("target\n1\n2\n", "no feature column besides 'target'"),
        ("x,target\n1,2\n3\n", "line 3: 1 values for 2 columns"),
        ("x,target\n1,2\nnan,3\n", "column 'x' has a missing or infinite value"),
        ("x,target\n1,2\n,3\n", "column 'x' is not numeric: line 3"),
    ],
)
def test_cli_reports_bad_files(tmp_path, capsys, text, message):
    path = tmp_path / "data.csv"
    path.write_text(text)
    assert main(["--csv", str(path), "--target", "target"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err


def test_cli_reports_a_missing_file(tmp_path, capsys):
    missing = tmp_path / "nowhere.csv"
    assert main(["--csv", str(missing), "--target", "y"]) == 2
    assert f"cannot read {missing}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments",
    [["--csv", "data.csv"], ["--target", "y"], ["--save", "m.joblib"], ["--plot", "p"]],
)
def test_cli_refuses_incomplete_options(arguments, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert "--csv" in capsys.readouterr().err


def test_cli_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ["--csv", "--target", "--save", "--plot", "--cv", "--n-hidden"]:
        assert option in out
    for option in [
        "--delimiter",
        "--solver",
        "--alpha",
        "--max-iter",
        "--random-state",
    ]:
        assert option in out
