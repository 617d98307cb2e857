"""matplotlib, optional: for the command line's and the benchmarks' plots."""

MISSING = (
    "matplotlib is not installed: pip install matplotlib "
    "(or pip install 'sklearn-sigmoidnet[plot]')"
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
