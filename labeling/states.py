"""The task lifecycle: states and the one table of allowed transitions.

Labelyard's states follow DataGym's lifecycle (docs/decisions.md "Task states") with
plainer names: DataGym's WAITING_CHANGED is ``review_failed`` when a reviewer rejected the task
and ``waiting`` when a configuration change or an admin reset sent it back to the queue;
REVIEWED_SKIP is ``reviewed`` (the review outcome is what matters downstream).
"""

from django.db import models


class State(models.TextChoices):
    BACKLOG = "backlog", "Backlog"
    WAITING = "waiting", "Waiting"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    SKIPPED = "skipped", "Skipped"
    REVIEWED = "reviewed", "Reviewed"
    REVIEW_FAILED = "review_failed", "Review failed"


TRANSITIONS = {
    State.BACKLOG: {State.WAITING},
    State.WAITING: {State.BACKLOG, State.IN_PROGRESS},
    State.IN_PROGRESS: {State.WAITING, State.COMPLETED, State.SKIPPED},
    State.COMPLETED: {State.IN_PROGRESS, State.REVIEWED, State.REVIEW_FAILED, State.WAITING},
    State.SKIPPED: {State.IN_PROGRESS, State.REVIEWED, State.REVIEW_FAILED, State.WAITING},
    State.REVIEWED: {State.REVIEW_FAILED, State.WAITING},
    State.REVIEW_FAILED: {State.IN_PROGRESS, State.WAITING},
}

# States whose labels count as finished work: exported by default, and reviewable.
DONE_STATES = (State.COMPLETED, State.SKIPPED, State.REVIEWED)
REVIEWABLE_STATES = (State.COMPLETED, State.SKIPPED)


class TransitionError(ValueError):
    """A task was asked to move along an edge the lifecycle does not have."""


def check_transition(current, target):
    """Raise TransitionError unless a task in `current` may move to `target`."""
    if target not in State.values:
        raise TransitionError(f"`{target}` is not a task state")
    if State(target) not in TRANSITIONS[State(current)]:
        allowed = ", ".join(sorted(TRANSITIONS[State(current)])) or "none"
        raise TransitionError(f"A {State(current).label.lower()} task cannot become {target} (allowed: {allowed}).")
