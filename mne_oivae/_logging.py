"""Package logger, mirroring MNE's: INFO by default, ``verbose`` overrides per call."""

import contextlib
import logging

logger = logging.getLogger("mne_oivae")
if not logger.handlers:
    logger.addHandler(logging.StreamHandler())
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _level(verbose):
    if verbose is None:
        return logger.level
    if isinstance(verbose, bool):
        return logging.INFO if verbose else logging.WARNING
    if isinstance(verbose, str) and isinstance(logging.getLevelName(verbose.upper()), int):
        return logging.getLevelName(verbose.upper())
    if isinstance(verbose, int):
        return verbose
    raise ValueError(f"verbose must be None, a bool, an int or a level name such as "
                     f"'INFO' or 'WARNING', got {verbose!r}")


@contextlib.contextmanager
def use_log_level(verbose):
    """Temporarily set the package log level from a ``verbose`` argument."""
    old = logger.level
    logger.setLevel(_level(verbose))
    try:
        yield logger.isEnabledFor(logging.INFO)
    finally:
        logger.setLevel(old)
