"""The files a run writes: checked before any fit, written atomically.

Each output (``--save``, ``--plot``, ``--output``) is checked once, before the
run reads anything: its folder exists, it is not a folder itself, it is not
another output, and it is not one of the input files (``--csv``,
``--predict``, ``--load``, whatever the spelling of the path or a symbolic
link) unless ``--overwrite`` is given. Each is then written to a temporary
file in the same folder and renamed over the target (``os.replace``), so that
a failure never leaves a half-written file nor destroys an input.
"""

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import CommandLineError

OUTPUTS = ("--save", "--plot", "--output")
INPUTS = ("--csv", "--predict", "--load")


def same_file(first, second):
    """Whether two paths name one file (existing or not)."""
    try:
        return os.path.samefile(first, second)
    except OSError:  # one does not exist (yet)
        return Path(first).resolve() == Path(second).resolve()


def _value(args, flag):
    return getattr(args, flag.removeprefix("--").replace("-", "_"), None)


def check_outputs(args):
    """Refuse, before any work, an output the run could not write or should
    not: see the module's description."""
    outputs = [(flag, _value(args, flag)) for flag in OUTPUTS]
    outputs = [(flag, path) for flag, path in outputs if path is not None]
    inputs = [(flag, _value(args, flag)) for flag in INPUTS]
    inputs = [(flag, path) for flag, path in inputs if path is not None]
    for position, (flag, path) in enumerate(outputs):
        if Path(path).is_dir():
            raise CommandLineError(f"{flag} {path}: it is a directory")
        if not Path(path).resolve().parent.is_dir():
            raise CommandLineError(f"{flag} {path}: no such directory")
        for other, other_path in outputs[:position]:
            if same_file(path, other_path):
                raise CommandLineError(
                    f"{other} {other_path} and {flag} {path} name the same file"
                )
        for source, source_path in inputs:
            if not _value(args, "--overwrite") and same_file(path, source_path):
                raise CommandLineError(
                    f"{flag} {path} is the file {source} {source_path}: it would "
                    "be replaced (--overwrite allows it)"
                )


def _new_file_mode(path):
    if Path(path).exists():
        return Path(path).stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def replaced_atomically(path, flag):
    """A temporary path, next to ``path`` and with its suffix, to write; on
    success it replaces ``path``, on any failure it is removed."""
    target = Path(path)
    temporary = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=target.resolve().parent,
            prefix=f".{target.name}.",
            suffix=f".partial{target.suffix}",
        )
        os.close(descriptor)
        yield temporary
        os.chmod(temporary, _new_file_mode(target))
        os.replace(temporary, target)
    except BaseException as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError) and not isinstance(error, BrokenPipeError):
            raise CommandLineError(
                f"cannot write {flag} {path}: {error.strerror or error}"
            ) from None
        raise
