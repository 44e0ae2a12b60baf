"""Reading ASF/AMC/BVH text: decoding, line splitting, a line cursor and numbers."""

import math
from pathlib import Path

from ._errors import MocapParseError


def read_lines(fname):
    """Return the lines of a text file, with a parse error for non-UTF-8 bytes.

    Lines are split on ``"\\n"`` only (a trailing ``"\\r"`` is dropped), so the line
    numbers in error messages are the ones a text editor shows.
    """
    fname = Path(fname)
    if not fname.is_file():
        raise FileNotFoundError(f"No such file: {fname}")
    raw = fname.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = raw.count(b"\n", 0, exc.start) + 1
        raise MocapParseError(fname, lineno, "UTF-8 (ASCII) text",
                              repr(raw[exc.start:exc.start + 4])) from None
    return [line.rstrip("\r") for line in text.split("\n")]


def to_float(token, fname, lineno, what, allow_inf=False):
    """Convert one token to a finite float (or +-inf if *allow_inf*)."""
    try:
        value = float(token)
    except ValueError:
        raise MocapParseError(fname, lineno, what, token) from None
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise MocapParseError(fname, lineno, what, token)
    return value


def to_floats(tokens, n, fname, lineno, what):
    """Convert exactly *n* tokens to finite floats."""
    if len(tokens) != n:
        raise MocapParseError(fname, lineno, what, " ".join(tokens))
    return [to_float(t, fname, lineno, what) for t in tokens]


class LineCursor:
    """Non-blank lines of a file as ``(lineno, tokens)``, read one at a time.

    Lines starting with *comment* (if given) are skipped; errors name the file
    and the line.
    """

    def __init__(self, fname, comment=None):
        self.fname = str(fname)
        self.lines = [(i + 1, line.split()) for i, line in enumerate(read_lines(fname))
                      if line.strip() and not (comment and
                                               line.lstrip().startswith(comment))]
        self.pos = 0

    def error(self, lineno, expected, got=None):
        return MocapParseError(self.fname, lineno, expected, got)

    def peek(self):
        return self.lines[self.pos] if self.pos < len(self.lines) else (None, None)

    def next(self, expected):
        lineno, tokens = self.peek()
        if lineno is None:
            raise self.error(self.lines[-1][0] if self.lines else None, expected,
                             "end of file")
        self.pos += 1
        return lineno, tokens
