"""Bulk actions of the task list: release to the queue, hold back, assign a labeler, reset.

Every state change goes through labeling.lifecycle, so the transition table holds here too.
Resetting keeps the labels: it puts tasks back in the queue unassigned; deleting labels is a
separate, explicit act.
"""

from django.db import transaction

from labeling.lifecycle import move_all
from labeling.states import State
from projects.models import ProjectMember

ASSIGNABLE_STATES = (State.BACKLOG, State.WAITING, State.IN_PROGRESS, State.REVIEW_FAILED)


class BulkActionError(ValueError):
    """A bulk action was refused; the message says why."""


def release(tasks):
    """Backlog -> waiting; returns how many moved."""
    return move_all(tasks, State.BACKLOG, State.WAITING)


def hold(tasks):
    """Waiting -> backlog; returns how many moved."""
    return move_all(tasks, State.WAITING, State.BACKLOG)


def assign(tasks, project, user):
    """Make `user` (a labeler or admin of `project`) the labeler of the open tasks among `tasks`."""
    roles = (ProjectMember.Role.LABELER, ProjectMember.Role.ADMIN)
    if not ProjectMember.objects.filter(project=project, user=user, role__in=roles).exists():
        raise BulkActionError(f"{user} is not a labeler of {project.name}.")
    count = tasks.filter(state__in=ASSIGNABLE_STATES).update(labeler=user)
    if count:
        # The labeler is in the export: the next export is a new file.
        project.bump_revision()
    return count


@transaction.atomic
def reset(tasks):
    """Put tasks back in the queue (waiting), unassigned, review cleared; labels are kept."""
    moved = 0
    for state in State:
        if state not in (State.WAITING, State.BACKLOG):
            moved += move_all(tasks, state, State.WAITING)
    tasks.filter(state=State.WAITING).update(labeler=None, reviewer=None, review_comment="")
    return moved
