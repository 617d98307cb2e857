"""The registry of commands: which flags select each, and where its ``run`` is.

As in pip, a command is a module with a ``run(args, show)`` function, imported
only once it is selected, so that ``--help`` imports none of them. ``run``
computes and never prints: it passes what it found, as the records of
:mod:`~sklearn_sigmoidnet.cli.results`, to ``show``.
"""

from dataclasses import dataclass

DEMO, FIT, PREDICT = "demo", "fit", "predict"


@dataclass(frozen=True)
class CommandInfo:
    """A command of the registry.

    Attributes
    ----------
    name : str
        The command's name, as the option table names it.
    module : str
        The module defining ``run(args, show)``.
    selected_by : tuple of str
        The flags that select the command, all of them together (none: the
        command run without them).
    refusal : str
        The error for options the command does not take: ``{options}`` the
        flags given, ``{needs}`` "needs" or "need" to agree with them.
    """

    name: str
    module: str
    selected_by: tuple
    refusal: str


COMMANDS = {
    DEMO: CommandInfo(
        DEMO,
        "sklearn_sigmoidnet.cli.demo",
        (),
        "{options} {needs} --csv FILE --target COLUMN (or --load MODEL for --predict)",
    ),
    FIT: CommandInfo(
        FIT,
        "sklearn_sigmoidnet.cli.fit",
        ("--csv", "--target"),
        "{options} {does} not go with --csv",
    ),
    PREDICT: CommandInfo(
        PREDICT,
        "sklearn_sigmoidnet.cli.predict",
        ("--load",),
        "{options} set up a fit: not with --load",
    ),
}
# Two commands' flags given together.
CONFLICTS = {
    frozenset({FIT, PREDICT}): (
        "--load predicts with a saved model: it does not go with --csv (which "
        "fits a new one)"
    ),
}
