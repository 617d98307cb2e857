"""The demo (python -m sklearn_sigmoidnet without options), and what the
command needs installed."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor

from ._cli import INSTALL_HINT, cli_env, run_cli

pd = pytest.importorskip("pandas")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


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


def test_missing_pandas_or_skops_is_one_error_line(tmp_path):
    """pandas, then skops, made unimportable in a new interpreter."""
    path = tmp_path / "data.csv"
    path.write_text("x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(20)))
    for blocked, arguments, purpose in [
        (("pandas",), [], "reading CSV files"),
        (("skops",), ["--save", tmp_path / "m.skops"], "--save to a .skops file"),
    ]:
        code, out, err = run_cli(
            "--csv", path, "--target", "y", *arguments, blocked=blocked
        )
        assert code == 2
        assert out == ""  # refused before fitting anything
        assert err == (
            f"error: {purpose} needs {blocked[0]}, which is not installed: "
            f"{INSTALL_HINT}\n"
        )


def test_help_imports_neither_pandas_skops_matplotlib_nor_the_estimator():
    code = (
        "import sys\n"
        "from sklearn_sigmoidnet.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "heavy = ['pandas', 'skops', 'matplotlib', 'sklearn_sigmoidnet._estimator']\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env()
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert "--csv FILE" in done.stdout
    # the same through python -m
    code, out, err = run_cli("--help")
    assert code == 0 and "--return-std" in out and err == ""


def test_the_package_imports_its_public_names_on_first_use():
    code = (
        "import sys, sklearn_sigmoidnet as package\n"
        "assert 'sklearn_sigmoidnet._estimator' not in sys.modules\n"
        "assert set(package.__all__) <= set(dir(package))\n"
        "names = [getattr(package, name) for name in package.__all__]\n"
        "assert 'sklearn_sigmoidnet._estimator' in sys.modules\n"
        "print(package.SigmoidMLPRegressor.__module__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env()
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "sklearn_sigmoidnet._estimator"
