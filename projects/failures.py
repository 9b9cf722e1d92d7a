"""What a failed background job (an import, an export, a release) tells the members who read it.

It lives here, below labeling and exports, so that both layers word their failures the same way.
"""


def failure_message(error):
    """The message a failed job stores for `error`.

    Errors meant for users (`public = True`, as ReleaseError) keep their message; any other only
    says what went wrong, without file paths or internals: the caller has logged it whole.
    """
    if getattr(error, "public", False):
        return str(error)
    detail = error.strerror if isinstance(error, OSError) and error.strerror else error.__class__.__name__
    return f"The server could not finish this: {detail}. The server's log has the details."
