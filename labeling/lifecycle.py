"""Moving tasks between states: every state change goes through move() or move_all(), checked
against the TRANSITIONS table and recorded as a TaskEvent."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from labeling.models import Task, TaskEvent
from labeling.states import State, TransitionError, check_transition
from projects.models import Project

REVIEW_STATES = (State.REVIEWED, State.REVIEW_FAILED)


def _actor(target, labeler_id, reviewer_id):
    """Who an event is credited to: the reviewer for review outcomes, else the labeler."""
    return reviewer_id if target in REVIEW_STATES else labeler_id


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
        source = task.state
        task.state = target
        task.state_changed_at = now
        for name, value in changes.items():
            setattr(task, name, value)
        TaskEvent.objects.create(
            task_id=task.pk,
            project_id=task.project_id,
            from_state=source,
            to_state=target,
            user_id=_actor(target, task.labeler_id, task.reviewer_id),
            at=now,
        )
        task.project.bump_revision()
    return task


def move_all(tasks, source, target):
    """Move every task of the queryset `tasks` that is in `source` to `target`; returns the count."""
    check_transition(source, target)
    now = timezone.now()
    with transaction.atomic():
        rows = list(tasks.filter(state=source).select_for_update().values_list("pk", "project_id", "labeler_id",
                                                                               "reviewer_id"))  # fmt: skip
        if not rows:
            return 0
        Task.objects.filter(pk__in=[r[0] for r in rows], state=source).update(state=target, state_changed_at=now)
        TaskEvent.objects.bulk_create(
            [
                TaskEvent(task_id=pk, project_id=project_id, from_state=source, to_state=target,
                          user_id=_actor(target, labeler_id, reviewer_id), at=now)
                for pk, project_id, labeler_id, reviewer_id in rows
            ],
            batch_size=1000,
        )  # fmt: skip
        Project.objects.filter(pk__in={r[1] for r in rows}).update(revision=F("revision") + 1)
    return len(rows)
