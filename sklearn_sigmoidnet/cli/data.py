"""The command line's CSV files: reading them with pandas, and the columns.

pandas is imported only by the functions that need it (the demo runs without
it). Every problem with the user's input raises :class:`CommandLineError`,
which the command line prints as one ``error:`` line (exit status 2); all the
columns that cannot be used are named in one message.
"""

import csv
import importlib
import io
import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import CommandLineError
from .options import UTF8

INSTALL_HINT = "pip install 'sklearn-sigmoidnet[cli]'"

# Delimiters tried when the user gives none, in order of preference on ties.
_DELIMITERS = (",", ";", "\t", "|")
# Bytes of the file's start that the delimiter is guessed from.
_SNIFF_BYTES = 1 << 16
_SNIFF_ROWS = 50
# A text column with more distinct values than this (and more than half its
# rows distinct) looks like an identifier or free text, not a category.
_FEW_CATEGORIES = 20
_MAX_CATEGORIES = 500
# Larger magnitudes overflow StandardScaler's variance (squares summed).
_LARGEST_STANDARDISED = 1e150
# A text column of numbers and at most this many other tokens ('?', 'n.a.'),
# numbers in the majority, is a numeric column with missing-value markers.
_STRAY_TOKENS = 5


def require(module, purpose):
    """Import ``module`` or explain which extra provides it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.partition(".")[0]
        raise CommandLineError(
            f"{purpose} needs {top}, which is not installed: {INSTALL_HINT}"
        ) from None


def _quoted(names, limit=None):
    names = [repr(str(name)) for name in names]
    if limit is not None and len(names) > limit:
        return ", ".join(names[:limit]) + f", ... ({len(names)} in all)"
    return ", ".join(names)


def start_of_file(path, encoding):
    """The first bytes of the file as text, and whether there is more."""
    with open(path, "rb") as handle:
        raw = handle.read(_SNIFF_BYTES)
        truncated = bool(handle.read(1))
    return raw.decode(encoding, errors="ignore"), truncated


def sniff_delimiter(text, truncated=False):
    """The delimiter among , ; tab | that splits the first rows consistently.

    ``text``: the start of the file, ``truncated`` if the file goes on. A
    candidate must give the header at least two fields; one that gives every
    sampled row as many fields as the header wins over one that does not, then
    more fields win, then the order above. ``,`` when nothing fits.
    """
    best, best_key = ",", None
    for order, delimiter in enumerate(_DELIMITERS):
        try:
            rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # possibly cut in the middle
        rows = [row for row in rows if row][:_SNIFF_ROWS]
        if not rows or len(rows[0]) < 2:
            continue
        consistent = all(len(row) == len(rows[0]) for row in rows[1:])
        key = (consistent, len(rows[0]), -order)
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    return best


def check_header(text, truncated, delimiter, path):
    """Refuse a header whose names are the same once stripped of spaces
    (pandas would rename one of two equal names ``name.1`` silently)."""
    if truncated and "\n" not in text:
        return  # a header longer than the sample: left to pandas
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    except csv.Error:
        return  # pandas reports it
    spellings = {}
    for position, name in enumerate(header, start=1):
        if name.strip():  # pandas names empty ones "Unnamed: k"
            spellings.setdefault(name.strip(), []).append((position, name))
    clashes = [
        f"{name!r} (columns "
        + ", ".join(f"{position}: {raw!r}" for position, raw in found)
        + ")"
        for name, found in spellings.items()
        if len(found) > 1
    ]
    if clashes:
        raise CommandLineError(
            f"{path} has several columns of the same name (once stripped of "
            f"spaces): {'; '.join(clashes)}; rename them so that each is unique"
        )


def merged_header_hint(columns):
    """A suggestion of --delimiter when the header came out as one column."""
    if len(columns) != 1:
        return ""
    name = str(columns[0])
    counts = {}
    for char in name:
        if not (char.isalnum() or char in "_.-()[]%$#'\""):
            counts[char] = counts.get(char, 0) + 1
    if not counts:
        return ""
    char = max(counts, key=counts.get)
    shown = "tab" if char == "\t" else repr(char)
    return (
        f" The header came out as one column ({name!r}): if the file is "
        f"delimited by {shown}, pass --delimiter {shown}."
    )


def _read_once(pd, path, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.DtypeWarning)
        table = pd.read_csv(path, **kwargs)
    mixed = any(issubclass(w.category, pd.errors.DtypeWarning) for w in caught)
    return table, mixed


def read_table(path, *, delimiter=None, encoding=UTF8, na_values=None, text=()):
    """The CSV file at ``path`` as a DataFrame (column names stripped).

    ``delimiter`` None: sniffed from the first rows. ``encoding``: a codec
    name as :func:`~sklearn_sigmoidnet.cli.options.encoding` gives it.
    ``text``: columns read as text whatever they hold (the saved model's
    categorical columns). Returns ``(table, delimiter)``.
    """
    pd = require("pandas", "reading CSV files")
    try:
        start, truncated = start_of_file(path, encoding)
        if delimiter is None:
            delimiter = sniff_delimiter(start, truncated)
        check_header(start, truncated, delimiter, path)
        table = _read(pd, path, delimiter, encoding, na_values, text)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandLineError(f"cannot read {path}: {reason}") from None
    except UnicodeError as error:
        where = getattr(error, "reason", None)
        where = f" ({where} at byte {error.start})" if where else ""
        raise CommandLineError(
            f"cannot read {path}: it is not {encoding.removesuffix('-sig')} text"
            f"{where}; pass its encoding with --encoding (for example --encoding "
            "cp1252) or save it as UTF-8"
        ) from None
    except pd.errors.EmptyDataError:
        raise CommandLineError(f"{path} is empty") from None
    except (pd.errors.ParserError, ValueError, csv.Error) as error:
        message = " ".join(str(error).split())
        shown = "tab" if delimiter == "\t" else repr(delimiter)
        raise CommandLineError(
            f"cannot parse {path} as CSV with delimiter {shown}: {message}"
            " (--delimiter sets another delimiter)"
        ) from None
    table.columns = [str(name).strip() for name in table.columns]
    return table, delimiter


def _read(pd, path, delimiter, encoding, na_values, text):
    kwargs = {
        "sep": delimiter,
        "encoding": encoding,
        "na_values": list(na_values) if na_values else None,
        "skipinitialspace": True,
        "dtype": {name: str for name in text} or None,
    }
    table, mixed = _read_once(pd, path, **kwargs)
    if mixed:
        # Read in chunks, a column held numbers in some chunks and text in
        # others: read the text columns again, as text throughout.
        columns = [c for c in table.columns if table[c].dtype == object]
        kwargs["dtype"] = {**(kwargs["dtype"] or {}), **dict.fromkeys(columns, str)}
        table, _ = _read_once(pd, path, **kwargs)
    return table


def _is_boolean(pd, column):
    """bool dtype, or True/False with missing values (read as objects)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return True
    if column.dtype != object:
        return False
    values = column.dropna()
    if values.empty or not isinstance(values.iloc[0], bool | np.bool_):
        return False
    return bool(values.map(lambda value: isinstance(value, bool | np.bool_)).all())


def _as_number(pd, column):
    """Float values, True/False as 1/0; the cells that are not numbers."""
    if _is_boolean(pd, column):
        return column.map({True: 1.0, False: 0.0}).astype(np.float64), None
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype(np.float64), None
    numbers = pd.to_numeric(column, errors="coerce")
    not_numbers = column.notna() & numbers.isna()
    return numbers.astype(np.float64), (
        column[not_numbers] if not_numbers.any() else None
    )


def _examples(values, limit=3):
    counts = values.astype(str).value_counts()
    shown = ", ".join(repr(value) for value in counts.index[:limit])
    return shown + (", ..." if len(counts) > limit else "")


def _na_values_hint(values):
    tokens = " ".join(repr(value) for value in values.astype(str).unique()[:3])
    return f"--na-values {tokens}"


@dataclass
class TrainingData:
    """The features and target of a CSV file, and what was done to them."""

    X: object  # DataFrame of the feature columns, in file order
    y: np.ndarray
    target: str
    numeric: list  # columns imputed with the median (True/False ones included)
    categorical: list  # columns one-hot encoded
    booleans: list = field(default_factory=list)
    empty: list = field(default_factory=list)
    missing: dict = field(default_factory=dict)  # column -> missing cells
    categories: dict = field(default_factory=dict)  # column -> distinct values
    dropped_rows: int = 0
    file_rows: int = 0
    file_columns: int = 0


def training_data(table, target, *, path, drop=(), min_rows=2):
    """Split a table into features and target, or name every unusable column."""
    pd = require("pandas", "reading CSV files")
    features = _feature_names(table, target, path=path, drop=drop)
    y, problems = _target_values(pd, table[target], target, path=path)
    keep = y.notna().to_numpy()
    data = TrainingData(
        X=None,
        y=y.to_numpy()[keep],
        target=target,
        numeric=[],
        categorical=[],
        dropped_rows=int((~keep).sum()),
        file_rows=len(table),
        file_columns=len(table.columns),
    )
    X = {}
    for name in features:
        column = table[name][keep]
        if column.isna().all():
            data.empty.append(name)
            continue
        values, problem = _feature(pd, column, name, data)
        if problem is None:
            X[name] = values
        else:
            problems.append(problem)
    if problems:
        raise CommandLineError(
            f"cannot use {'this column' if len(problems) == 1 else 'these columns'}"
            f" of {path}: " + "; ".join(problems) + "."
        )
    if not X:
        raise CommandLineError(
            f"{path} has no usable feature column besides {target!r} (empty: "
            f"{_quoted(data.empty)})"
        )
    data.X = pd.DataFrame({name: X[name] for name in features if name in X})
    data.X = data.X.reset_index(drop=True)
    data.missing = {
        name: int(count) for name, count in data.X.isna().sum().items() if count
    }
    _check_rows(data, path=path, min_rows=min_rows)
    return data


def _feature_names(table, target, *, path, drop):
    """The feature columns: all but the target and ``drop``, checked."""
    columns = list(table.columns)
    if target not in columns:
        similar = [name for name in columns if name.lower() == target.lower()]
        hint = f" (did you mean {similar[0]!r}?)" if similar else ""
        raise CommandLineError(
            f"no column {target!r} in {path}{hint}; the columns are: "
            f"{_quoted(columns, limit=30)}." + merged_header_hint(columns)
        )
    unknown = [name for name in drop if name not in columns]
    if unknown:
        raise CommandLineError(f"--drop: no column {_quoted(unknown)} in {path}")
    if target in drop:
        raise CommandLineError(f"--drop: {target!r} is the target")
    features = [name for name in columns if name != target and name not in drop]
    if table.empty:
        raise CommandLineError(f"{path} has no data rows")
    if not features:
        raise CommandLineError(f"{path} has no feature column besides {target!r}")
    return features


def _target_values(pd, column, target, *, path):
    """The target as floats (missing: NaN), and the problems with it."""
    y, not_numbers = _as_number(pd, column)
    if not_numbers is not None:
        return y, [
            f"the target {target!r} is not numeric (it holds "
            f"{_examples(not_numbers)}; {_na_values_hint(not_numbers)} reads such "
            "cells as missing, and rows with a missing target are dropped)"
        ]
    if y.isna().all():
        raise CommandLineError(
            f"target column {target!r} of {path} has no values: all its "
            f"{len(y)} cells are missing"
        )
    if np.isinf(y).any():
        return y, [f"the target {target!r} holds infinite values"]
    return y, []


def _feature(pd, column, name, data):
    """``(values, None)`` for a usable feature, recorded in ``data`` as numeric
    or categorical; ``(None, problem)`` for one that is not."""
    if _is_boolean(pd, column) or pd.api.types.is_numeric_dtype(column.dtype):
        if _is_boolean(pd, column):
            data.booleans.append(name)
        values, _ = _as_number(pd, column)
        if np.isinf(values).any():
            return None, f"column {name!r} holds infinite values"
        largest = float(np.nanmax(np.abs(values)))
        if largest > _LARGEST_STANDARDISED:
            return None, (
                f"column {name!r} holds values too large to standardise (up to "
                f"{largest:.3g}; rescale it, or --drop {name!r})"
            )
        data.numeric.append(name)
        return values, None
    values = column.dropna()
    numbers = pd.to_numeric(values, errors="coerce")
    stray = values[numbers.isna()]
    if numbers.notna().mean() > 0.5 and stray.nunique() <= _STRAY_TOKENS:
        return None, (
            f"column {name!r} holds numbers and {_examples(stray)} "
            f"({_na_values_hint(stray)} reads those as missing; or --drop "
            f"{name!r})"
        )
    distinct = values.nunique()
    if distinct > _MAX_CATEGORIES or (
        distinct > _FEW_CATEGORIES and distinct > len(values) / 2
    ):
        return None, (
            f"column {name!r} has {distinct} distinct text values in "
            f"{len(values)} rows, too many to one-hot encode (an identifier "
            f"or free text? --drop {name!r})"
        )
    data.categorical.append(name)
    data.categories[name] = distinct
    return column, None


def _check_rows(data, *, path, min_rows):
    if len(data.y) < min_rows:
        dropped = f", {data.dropped_rows} without" if data.dropped_rows else ""
        raise CommandLineError(
            f"{path} has {len(data.y)} rows with a target{dropped}: this needs at "
            f"least {min_rows} (two per cross-validation fold)"
        )
    if np.ptp(data.y) == 0:
        raise CommandLineError(
            f"the target {data.target!r} is {data.y[0]:g} in every row: nothing "
            "to learn"
        )


def prediction_data(table, names, categorical, *, path):
    """The columns a model needs, by name, in its order; problems in one line."""
    pd = require("pandas", "reading CSV files")
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise CommandLineError(
            f"{path} lacks {len(missing)} column{'s' if len(missing) > 1 else ''} "
            f"the model needs: {_quoted(missing, limit=30)} (it has "
            f"{_quoted(table.columns, limit=30)})." + merged_header_hint(table.columns)
        )
    X, problems = {}, []
    for name in names:
        column = table[name]
        if name in categorical:
            X[name] = column
            continue
        values, not_numbers = _as_number(pd, column)
        if not_numbers is not None:
            problems.append(
                f"column {name!r} holds {_examples(not_numbers)} "
                f"({_na_values_hint(not_numbers)} reads those as missing)"
            )
        elif np.isinf(values).any():
            problems.append(f"column {name!r} holds infinite values")
        X[name] = values
    if problems:
        raise CommandLineError(
            f"the model needs numbers in {path}: " + "; ".join(problems) + "."
        )
    return pd.DataFrame(X, index=table.index)
