"""Checks of the export_labels and create_release arguments, made before anything is built.

A mistake found after the build would leave a job in the history, or take a release's name for good.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.core.validators import URLValidator

from labeling.states import State


def task_states(text):
    """The comma-separated task states of `text`; CommandError naming the unknown ones."""
    states = [s.strip() for s in text.split(",") if s.strip()]
    unknown = sorted(set(states) - set(State.values))
    if unknown:
        raise CommandError(f"Unknown task state(s) {', '.join(unknown)}; use {', '.join(State.values)}.")
    return states


def output_file(option, text):
    """The Path a file is to be copied to; CommandError when it is a folder or its folder is missing."""
    path = Path(text)
    if path.is_dir():
        raise CommandError(f"--{option} {path} is a folder; give the file's name.")
    if not path.parent.is_dir():
        raise CommandError(f"--{option} {path}: the folder {path.parent} does not exist.")
    return path


def base_url(text):
    """`text` when it is an http(s) URL, else CommandError."""
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError as error:
        raise CommandError(f"--base-url {text!r} is not an http(s) URL.") from error
    return text
