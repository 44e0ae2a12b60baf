"""The progress bar of a training run (iterations done, summed over its replicas); log levels."""

from contextlib import nullcontext

from mne.utils import ProgressBar, use_log_level


def log_level(verbose):
    """MNE's log level for a method: *verbose* if set, else the global one."""
    return nullcontext() if verbose is None else use_log_level(verbose)


class Progress:
    """One bar of *total* iterations, moved to absolute counts, shown at INFO.

    MNE's ``with ProgressBar(...)`` is not used: that context starts a thread
    that sets the count to the sum of a shared array 30 times a second (the
    tally of joblib workers, ``ProgressBar.subset``), which nothing fills
    here, so the bar jumped between 0 and the true count: a rate climbing to
    hundreds of thousands of iterations per second, an ETA of 00:00, and a
    ``0/total`` bar redrawn between updates. Iterating the bar instead counts
    from this thread only, and the iterator closes the bar when exhausted or
    closed.

    Parameters
    ----------
    total : int
        Iterations of the whole run (of all replicas together).
    mesg : str
        Label of the bar.
    done : int
        Iterations already done (a resumed fit).
    """

    def __init__(self, total, mesg, done=0):
        self.done = done
        # tqdm counts an item when the next one is asked for: keep one ahead
        self._ticks = iter(ProgressBar(range(done, total + 1), initial_value=done,
                                       max_value=total, mesg=mesg, leave=False))
        next(self._ticks)

    def to(self, done):
        """Advance the bar to *done* iterations."""
        for _ in range(done - self.done):
            next(self._ticks, None)
        self.done = max(self.done, done)

    def close(self):
        """Remove the bar (it stays at its last count if the run stopped early)."""
        self._ticks.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
