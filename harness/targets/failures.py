"""What can go wrong in one call of a target, as exceptions the runner raises in both modes
(in-process and isolated); each command turns them into its own statuses."""

from __future__ import annotations

__all__ = ["BadOutput", "TargetAborted", "TargetCrashed", "TargetOutOfMemory", "TargetRaised", "TargetTimeout"]


class TargetAborted(Exception):
    """The call did not return: the worker timed out, crashed or ran out of memory.

    ``status`` is the check status it maps to; ``output`` what the target printed, when known.
    """

    status = "crashed"
    output = ""


class TargetTimeout(TargetAborted):
    status = "timeout"


class TargetCrashed(TargetAborted):
    status = "crashed"


class TargetOutOfMemory(TargetAborted):
    status = "out-of-memory"


class TargetRaised(Exception):
    """The target raised an exception inside the worker; ``traceback_text`` is its traceback."""

    def __init__(self, type_name: str, message: str, traceback_text: str, output: str = ""):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text
        self.output = output


class BadOutput(TypeError):
    """The target returned something that is not a k-means answer (a string, None, ...)."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output
