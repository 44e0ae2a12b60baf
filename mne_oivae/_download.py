"""One message for data that is neither on disk nor downloadable."""


def missing_data_message(what, looked, provide, failure=None, url=None):
    """What is missing, where it was looked for, why not downloaded, how to provide it.

    Parameters
    ----------
    what : str
        The file or data set, e.g. ``"07_01.amc"``.
    looked : list of path-like | str
        Where it was looked for.
    provide : str
        How to provide it: the argument or variable to set, the URL to fetch by hand.
    failure : BaseException | str | None
        Why it was not downloaded: the download's error (its first line is
        kept), or a reason. ``None``: no download was tried.
    url : str | None
        Where the failed download was from.
    """
    if not isinstance(looked, str):
        looked = ", ".join(str(folder) for folder in looked)
    if isinstance(failure, BaseException):
        lines = str(failure).strip().splitlines() or [""]
        source = "" if url is None else f" from {url}"
        failure = f"downloading it{source} failed ({type(failure).__name__}: {lines[0]})"
    why = "" if failure is None else f"; {failure}"
    return f"Data not found: {what} is in none of: {looked}{why}. {provide}"
