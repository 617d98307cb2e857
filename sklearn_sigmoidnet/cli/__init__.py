"""Command line: the bundled demo, a fit of your own CSV file, predictions.

``python -m sklearn_sigmoidnet`` fits SigmoidMLPRegressor and MLPRegressor side
by side on scikit-learn's bundled diabetes data and on a Friedman #1 problem and
prints test R^2 and fit time of each (numpy, scipy and scikit-learn only).

``python -m sklearn_sigmoidnet --csv FILE --target COLUMN`` fits your own CSV
file (read with pandas: the ``cli`` extra) in a pipeline that imputes missing
values, one-hot encodes text columns and standardises, and reports R^2 of a
shuffled k-fold cross-validation; ``--compare`` adds MLPRegressor with the same
settings, ``--save`` stores the pipeline fitted on all rows (``.skops`` or
``.joblib``), ``--plot`` draws its training curve (matplotlib).

``python -m sklearn_sigmoidnet --load MODEL --predict NEW.csv --output OUT.csv``
writes one prediction per row of NEW.csv, its columns matched by name.
``--help`` lists every option; docs/user_guide/cli.md is the guide.

The package, modelled on pip's: :mod:`.options` (the table of options, the
parser and the checks made from it), :mod:`.commands` (the registry of
commands), one module per command (:mod:`.demo`, :mod:`.fit`,
:mod:`.predict`), whose ``run`` computes and passes records
(:mod:`.results`) to :mod:`.report`, which prints them; :func:`main` maps
errors to exit statuses.
"""

import importlib
import os
import sys

from .commands import COMMANDS
from .errors import CommandLineError, Interrupted
from .options import parse_arguments

__all__ = ["CommandLineError", "main"]

EXIT_OK, EXIT_BROKEN_PIPE, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv=None):
    """Run the command line on ``argv`` (by default ``sys.argv[1:]``).

    Returns the exit status: 0, 2 after one ``error:`` line for bad input,
    130 when interrupted, 1 when the reader of standard output went away. A
    bad option exits (``SystemExit``, status 2) after one ``error:`` line,
    ``--help`` with status 0.
    """
    command, args = parse_arguments(argv)
    try:
        run = importlib.import_module(COMMANDS[command].module).run
        from .report import Report

        run(args, Report())
    except CommandLineError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except (Interrupted, KeyboardInterrupt):
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # | head: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return EXIT_OK
