"""What the benchmark scripts write: Markdown tables and CSV files from rows
of ``(key, title, format)`` columns, the machine line above each table, and
matplotlib for the plots.

Shared by the benchmark scripts, which run from this folder (so it is on
``sys.path``).
"""

import csv
import os
import platform

import numpy as np
from threadpoolctl import threadpool_info


def cell(row, key, fmt):
    """``row[key]`` for a table: booleans as yes/NO, NaN as a dash."""
    value = row[key]
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float) and np.isnan(value):
        return "-"
    return fmt.format(value)


def table_row(row, columns):
    """One Markdown table line of ``row``."""
    return "| " + " | ".join(cell(row, key, fmt) for key, _, fmt in columns) + " |"


def markdown(rows, columns):
    """The Markdown table of ``rows`` under the columns' titles."""
    lines = [
        "| " + " | ".join(title for _, title, _ in columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += [table_row(row, columns) for row in rows]
    return "\n".join(lines)


def write_csv(rows, path, fieldnames):
    """``rows`` as CSV at ``path`` (its folder made if missing)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


def machine():
    """Processor, cores, Python, numpy and BLAS, for the line above a table."""
    blas = ", ".join(
        f"{info['internal_api']} {info['version']} ({info.get('architecture')})"
        for info in threadpool_info()
        if info["user_api"] == "blas"
    )
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, BLAS: {blas}"
    )


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend, or None if missing."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
