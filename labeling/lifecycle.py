"""Moving tasks between states: every state change goes through move() and the TRANSITIONS table."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from labeling.models import Task
from labeling.states import TransitionError, check_transition
from projects.models import Project


def move(task, target, **changes):
    """Move `task` to `target` (setting `changes` too) if the lifecycle allows it.

    The update is conditional on the state the caller saw, so two people moving one task at
    once cannot both succeed; the loser gets a TransitionError.
    """
    check_transition(task.state, target)
    now = timezone.now()
    with transaction.atomic():
        updated = Task.objects.filter(pk=task.pk, state=task.state).update(
            state=target, state_changed_at=now, **changes
        )
        if not updated:
            raise TransitionError("The task changed state meanwhile; reload it and try again.")
        task.project.bump_revision()
    task.state = target
    task.state_changed_at = now
    for name, value in changes.items():
        setattr(task, name, value)
    return task


def move_all(tasks, source, target):
    """Move every task of the queryset `tasks` that is in `source` to `target`; returns the count."""
    check_transition(source, target)
    with transaction.atomic():
        moved = tasks.filter(state=source).update(state=target, state_changed_at=timezone.now())
        if moved:
            Project.objects.filter(pk__in=tasks.values("project_id")).update(revision=F("revision") + 1)
    return moved
