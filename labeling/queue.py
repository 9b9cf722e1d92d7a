"""The labeler queue: which task a labeler works on next, and finishing it (skip or complete).

Claiming is race-free: a waiting task is taken by lifecycle.move(), a conditional update on the
state the caller saw, so of two labelers reaching for one task only one wins; the other moves on
to the next candidate. On PostgreSQL the candidates are also read with SKIP LOCKED so parallel
claims spread over different rows instead of queueing behind one.
"""

from django.db import connection, transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404

from labeling.labels import index_for, read_labels
from labeling.lifecycle import move
from labeling.models import Task
from labeling.states import State, TransitionError
from projects import access
from rules import labels as labels_document

CLAIM_ATTEMPTS = 20
LABELING_ROLES = (access.Role.ADMIN, access.Role.LABELER)


class NotYourTask(PermissionError):
    """The user asked to finish a task that is not theirs to work on."""


class Incomplete(ValueError):
    """Required questions are unanswered; ``missing`` holds readable sentences naming each."""

    def __init__(self, missing):
        self.missing = list(missing)
        super().__init__("Answer these before completing: " + "; ".join(self.missing))


def next_task(project, user, exclude=None):
    """The task `user` should label now in `project`, or None when the queue is empty.

    Their own task in progress comes first, then one a reviewer sent back to them, then a
    waiting task claimed for them (preferring one already assigned to them). `exclude` is a
    task id passed over, so "Next" can leave the current task for later.
    """
    own = Task.objects.filter(project=project, labeler=user)
    if exclude is not None:
        own = own.exclude(pk=exclude)
    task = own.filter(state=State.IN_PROGRESS).first()
    if task is not None:
        return task
    for task in own.filter(state=State.REVIEW_FAILED):
        try:
            return move(task, State.IN_PROGRESS)
        except TransitionError:
            continue
    return _claim_waiting(project, user, exclude)


def _claim_waiting(project, user, exclude):
    waiting = Task.objects.filter(project=project, state=State.WAITING)
    if exclude is not None:
        waiting = waiting.exclude(pk=exclude)
    # Tasks sent back to the queue keep their labeler; hand them to that labeler first.
    waiting = waiting.order_by(
        Case(When(labeler=user, then=Value(0)), default=Value(1), output_field=IntegerField()), "id"
    )
    for _ in range(CLAIM_ATTEMPTS):
        with transaction.atomic():
            candidates = waiting
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True)
            task = candidates.first()
            if task is None:
                return None
            try:
                return move(task, State.IN_PROGRESS, labeler=user)
            except TransitionError:
                # Someone else claimed it between the read and the update; try the next one.
                continue
    return None


def open_task(user, task_id):
    """The task with `task_id` if `user` is a member of its project (project.user_role set), else 404."""
    task = Task.objects.select_related("project", "media", "labeler", "reviewer").filter(pk=task_id).first()
    if task is None:
        raise Http404("No such task.")
    task.project = access.get_project(user, task.project_id)
    return task


def can_edit(task, user):
    """Project admins may edit any task's labels; its labeler while the task is in progress and
    they still have the labeler role (read now: a labeler demoted to reviewer keeps the task's
    labeler field, not the right to change it)."""
    role = access.role_in(user, task.project)
    if role == access.Role.ADMIN:
        return True
    return role == access.Role.LABELER and task.labeler_id == user.pk and task.state == State.IN_PROGRESS


def check_labeler(task, user):
    """Refuse (NotYourTask) unless `user` works on `task` now: theirs, in progress, and a labeler or admin."""
    if task.labeler_id != user.pk or task.state != State.IN_PROGRESS:
        raise NotYourTask("This task is not in progress for you; open your queue to get a task.")
    role = access.role_in(user, task.project)
    if role not in LABELING_ROLES:
        raise NotYourTask(
            f"Labeling needs the labeler or admin role in {task.project.name}; yours is {role or 'none'}."
        )


def skip(task, user):
    """Mark the user's task in progress as skipped (the labels stay as they are)."""
    check_labeler(task, user)
    return move(task, State.SKIPPED)


def complete(task, user):
    """Mark the user's task as completed, refused with Incomplete while required answers are missing."""
    check_labeler(task, user)
    document, _ = read_labels(task)
    index = index_for(task.project)
    missing = labels_document.missing_required(document, index)
    if missing:
        raise Incomplete(describe_missing(document, index, missing))
    return move(task, State.COMPLETED)


def describe_missing(document, index, missing):
    """Turn missing_required()'s paths into sentences naming the shape the question belongs to."""
    sentences = []
    for path, message in missing:
        if not path.startswith("geometries["):
            sentences.append(f"{message} (image question)")
            continue
        position = int(path[len("geometries[") : path.index("]")])
        geometry = document["geometries"][position]
        entry = index.geometries[geometry["class"]]
        where = f"{entry.name} #{position + 1}"
        if ".nested[" in path:
            start = path.index(".nested[") + len(".nested[")
            nested = geometry["nested"][int(path[start : path.index("]", start)])]
            where = f"{entry.nested_geometries[nested['class']].name} inside {where}"
        sentences.append(f"{message} ({where})")
    return sentences
