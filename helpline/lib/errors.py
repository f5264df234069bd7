class UserError(Exception):
    """A problem the person running Helpline can fix; shown as one line, no traceback."""


class CliError(UserError):
    """A command-line problem: a busy port, an unknown agent, an unreachable database."""
