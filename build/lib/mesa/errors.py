"""Errors that reach the user as one clear line (CLI, app), never as a traceback."""


class UserError(ValueError):
    """A problem with the user's input or files: says what was wrong and what is accepted."""
