"""Errors raised by the motion-capture readers and loaders."""


class MocapParseError(ValueError):
    """A malformed ASF or AMC file.

    The message names the file, the line and what the parser expected there, e.g.
    ``07.asf, line 42: expected 3 numbers after 'direction', got '0.3 abc'``.

    Attributes
    ----------
    fname : str
        The file being parsed.
    lineno : int | None
        1-based line number of the offending line (``None`` for file-level problems
        such as an unreadable encoding or a missing section).
    expected : str
        What the parser expected.
    got : str | None
        What it found instead (``None`` when the file ended early).
    """

    def __init__(self, fname, lineno, expected, got=None):
        self.fname = str(fname)
        self.lineno = lineno
        self.expected = expected
        self.got = got
        where = self.fname if lineno is None else f"{self.fname}, line {lineno}"
        found = "" if got is None else f", got {got!r}"
        super().__init__(f"{where}: expected {expected}{found}")

    def __reduce__(self):  # keep the error picklable (multiprocessing, pytest-xdist)
        return type(self), (self.fname, self.lineno, self.expected, self.got)


class MocapDataNotFoundError(FileNotFoundError):
    """Motion-capture files that are neither on disk nor downloadable.

    Attributes
    ----------
    searched : list of str
        The folders that were looked in, in order.
    """

    def __init__(self, message, searched=()):
        self.searched = [str(s) for s in searched]
        super().__init__(message)
