"""Reviewing finished tasks: the next one to review, accepting it, or rejecting it with a comment.

A reviewer claims a completed or skipped task by writing themselves as its reviewer with a
conditional update, so two reviewers are not shown the same task. Accepting and rejecting are
state changes and go through lifecycle.move(); a rejected task keeps its labeler, who gets it
back first in their queue with the comment shown.
"""

from labeling.lifecycle import move
from labeling.models import Task
from labeling.states import REVIEWABLE_STATES, State

CLAIM_ATTEMPTS = 20
MAX_COMMENT_LENGTH = 5000


class NotReviewable(ValueError):
    """The task is not waiting for review, or the comment is unusable; the message says which."""


def next_review(project, user, exclude=None):
    """The next completed or skipped task for `user` to review in `project`, or None."""
    reviewable = Task.objects.filter(project=project, state__in=REVIEWABLE_STATES)
    if exclude is not None:
        reviewable = reviewable.exclude(pk=exclude)
    task = reviewable.filter(reviewer=user).first()
    if task is not None:
        return task
    for _ in range(CLAIM_ATTEMPTS):
        task = reviewable.filter(reviewer__isnull=True).first()
        if task is None:
            return None
        if Task.objects.filter(pk=task.pk, reviewer__isnull=True, state__in=REVIEWABLE_STATES).update(reviewer=user):
            task.reviewer = user
            return task
    return None


def _check_reviewable(task):
    if task.state not in REVIEWABLE_STATES:
        raise NotReviewable(f"Only completed or skipped tasks can be reviewed; this one is {task.state}.")


def accept(task, user):
    """Accept the task's labels: it becomes reviewed and any earlier comment is cleared."""
    _check_reviewable(task)
    return move(task, State.REVIEWED, reviewer=user, review_comment="")


def reject(task, user, comment):
    """Send the task back to its labeler as review_failed with `comment` saying what to fix."""
    _check_reviewable(task)
    comment = (comment or "").strip()
    if not comment:
        raise NotReviewable("Say what needs fixing: a rejection needs a comment.")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise NotReviewable(f"The comment is longer than {MAX_COMMENT_LENGTH} characters.")
    return move(task, State.REVIEW_FAILED, reviewer=user, review_comment=comment)
