"""What the command line's tests share: running it, the pipeline it documents
built independently, and the messy CSV file of the fit and predict tests."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_friedman1
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor

ROOT = Path(__file__).resolve().parents[2]
INSTALL_HINT = "pip install 'sklearn-sigmoidnet[cli]'"
# What a .skops file of the command holds beyond skops' trusted defaults.
TRUSTED = [
    "numpy.dtype",
    "sklearn_sigmoidnet._data.TargetMapping",
    "sklearn_sigmoidnet._estimator.SigmoidMLPRegressor",
    "sklearn_sigmoidnet._posterior.Posterior",
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


def cli_env():
    """The environment of a new interpreter that imports this worktree's
    package."""
    path = [str(ROOT)] + os.environ.get("PYTHONPATH", "").split(os.pathsep)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}


def run_cli(*arguments, blocked=(), stderr_on_terminal=False):
    """The command in a new interpreter: (exit status, stdout, stderr)."""
    command = [sys.executable, "-m", "sklearn_sigmoidnet"]
    if blocked:
        command = [sys.executable, "-c", _BLOCKING.format(blocked=set(blocked))]
    command += [str(argument) for argument in arguments]
    env = cli_env()
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


# ------------------------------------------------------------ a messy CSV
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
    import pandas as pd

    table = pd.read_csv(path, sep=";", encoding="utf-8-sig")
    table["flag"] = table["flag"].map({True: 1.0, False: 0.0})
    table = table.dropna(subset=["price"]).reset_index(drop=True)
    return table.drop(columns="price"), table["price"].to_numpy()


MESSY_NUMERIC = ["x0", "x1", "x2", "flag", "x3"]  # the file's order, bools included


def write_new_rows(messy_fit, path, reorder=True):
    """30 rows of the features: reversed columns, an id, the target, an unseen
    category and missing cells, written with commas."""
    import pandas as pd

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
