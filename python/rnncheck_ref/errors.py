"""The one error a user's mistake becomes."""


class UserError(Exception):
    """A mistake in what the user gave (a file, an array, a flag): the message is a sentence
    that names the thing and says what to do. The command line prints it and exits 2."""
