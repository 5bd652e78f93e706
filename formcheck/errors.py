"""Errors meant for the user: the library raises them, only the CLI prints them and exits."""

from __future__ import annotations


class FormcheckError(Exception):
    """Base class: its message is one line a patient or therapist can act on."""

    exit_code = 2


class InputError(FormcheckError):
    """A video, track, camera or output path that cannot be used."""


class SpecError(FormcheckError):
    """An exercise spec that does not validate, or an unknown exercise id."""


class ModelError(FormcheckError):
    """No pose model could be found, downloaded or built."""


class PlanError(FormcheckError):
    """A prescription (plan) file that does not validate."""


class HistoryError(FormcheckError):
    """A history database that cannot be opened, read or written."""
