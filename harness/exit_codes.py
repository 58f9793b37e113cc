"""The command line's exit codes and the error every command turns into exit code 2."""

EXIT_OK, EXIT_FAILED_CELLS, EXIT_INVALID = 0, 1, 2


class InvalidInput(Exception):
    """Bad input from the user: reported in one message, exit code 2, nothing run."""
