"""The command line's errors, which :func:`~sklearn_sigmoidnet.cli.main` maps
to one ``error:`` line and an exit status."""


class CommandLineError(Exception):
    """A problem with the user's input or files, reported without a traceback
    (exit status 2)."""


class Interrupted(Exception):
    """The user interrupted the run (Ctrl-C), during a fit or elsewhere (exit
    status 130, as a shell reports SIGINT)."""
