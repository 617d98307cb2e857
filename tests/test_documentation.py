"""Every Python example of the README and the docs runs, in order, file by
file, on small data that stands in for the reader's (the gallery in
``examples/`` runs in the docs build)."""

import re
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.exceptions import ConvergenceWarning

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted(
    [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("docs/user_guide/*.md")]
)
BLOCK = re.compile(r"^( *)```python\n(.*?)^\1```", re.S | re.M)

# What the examples take as the reader's own: data, a fitted model, files.
READERS_DATA = """
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn_sigmoidnet import SigmoidMLPRegressor

X, y = make_friedman1(n_samples=300, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
n_features = X.shape[1]
weights = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
batches = [(X[i : i + 100], y[i : i + 100]) for i in (0, 100, 200)]
model = make_pipeline(StandardScaler(), SigmoidMLPRegressor(random_state=0))
model.fit(X_train, y_train)
Y = (y[:, None] - y.min()) / np.ptp(y) * 0.6 + 0.2
W1 = np.random.RandomState(1).normal(scale=0.3, size=(n_features + 1, 4))
W2 = np.random.RandomState(2).normal(scale=0.3, size=(5, 1))
"""

# Set-up a block needs beyond that, by (file name, block number).
BEFORE_BLOCK = {
    ("cli.md", 1): """
rng = np.random.RandomState(0)
table = pd.DataFrame(rng.normal(size=(80, 4)), columns=["x0", "x1", "x2", "x3"])
table["flag"] = rng.rand(80) > 0.5
table["town"] = rng.choice(["north", "south", "east"], 80)
table["price"] = 3 * table["x0"] + table["flag"] + rng.normal(size=80)
table.loc[3, "x1"] = np.nan
table.loc[5, "price"] = np.nan
table.to_csv("houses.csv", sep=";", index=False, encoding="utf-8-sig")
""",
    ("cli.md", 2): """
import skops.io
skops.io.dump(pipeline.fit(X, y), "model.skops")
new_rows = X.head(5)
""",
}


def _blocks(path):
    return [
        textwrap.dedent(match.group(2)) for match in BLOCK.finditer(path.read_text())
    ]


def test_the_documents_have_examples():
    counted = {path.name: len(_blocks(path)) for path in DOCUMENTS}
    assert counted["README.md"] >= 1 and counted["workflow.md"] >= 5
    assert sum(counted.values()) >= 20


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    "path",
    [path for path in DOCUMENTS if _blocks(path)],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_examples_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"pd": pd, "np": np}
    exec(READERS_DATA, namespace)
    with sklearn.config_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for number, code in enumerate(_blocks(path)):
            setup = BEFORE_BLOCK.get((path.name, number))
            if setup:
                exec(setup, namespace)
            try:
                exec(compile(code, f"{path.name}, example {number}", "exec"), namespace)
            except Exception as error:
                raise AssertionError(
                    f"{path.relative_to(ROOT)}, example {number} fails:\n{code}"
                ) from error


def test_the_metadata_routing_example_scores_with_weights(tmp_path, monkeypatch):
    """The workflow page's routing example gives a finite best_score_."""
    monkeypatch.chdir(tmp_path)
    (code,) = [
        block
        for block in _blocks(ROOT / "docs/user_guide/workflow.md")
        if "set_score_request" in block
    ]
    namespace = {}
    exec(READERS_DATA, namespace)
    code = code.replace("GridSearchCV(pipeline", "search = GridSearchCV(pipeline")
    with sklearn.config_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exec(code, namespace)
    assert np.isfinite(namespace["search"].best_score_)
