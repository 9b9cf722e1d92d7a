"""Reviewing finished tasks: the next one to review, accepting it, or rejecting it with a comment.

A reviewer claims a completed or skipped task by writing themselves as its reviewer with a
conditional update, so two reviewers are not shown the same task. Accepting and rejecting are
state changes and go through lifecycle.move(); a rejected task keeps its labeler, who gets it
back first in their queue with the comment shown. Nobody reviews a task they labelled, and only
reviewers and admins review: both are checked when the review is written, not only when the page opened.
"""

from django.db.models import F, Q

from labeling.lifecycle import move
from labeling.models import Task
from labeling.queue import NotYourTask
from labeling.states import REVIEWABLE_STATES, State
from projects import access

CLAIM_ATTEMPTS = 20
MAX_COMMENT_LENGTH = 5000
REVIEW_ROLES = (access.Role.ADMIN, access.Role.REVIEWER)


class NotReviewable(ValueError):
    """The task is not waiting for review, or the comment is unusable; the message says which."""


class NotYourReview(NotYourTask):
    """The user may not review this task: they labelled it, or are no reviewer or admin (a 403)."""


def next_review(project, user, exclude=None):
    """The next completed or skipped task for `user` to review in `project`, or None; never one they labelled."""
    reviewable = Task.objects.filter(project=project, state__in=REVIEWABLE_STATES).exclude(labeler=user)
    if exclude is not None:
        reviewable = reviewable.exclude(pk=exclude)
    task = reviewable.filter(reviewer=user).first()
    if task is not None:
        return task
    # A task held by its own labeler as reviewer (claimed before they labelled it, or before this
    # rule) is free for others: they may never review it, so it must not wait for them.
    unclaimed = Q(reviewer__isnull=True) | Q(reviewer=F("labeler"))
    for _ in range(CLAIM_ATTEMPTS):
        task = reviewable.filter(unclaimed).first()
        if task is None:
            return None
        claimable = Task.objects.filter(unclaimed, pk=task.pk, state__in=REVIEWABLE_STATES).exclude(labeler=user)
        if claimable.update(reviewer=user):
            task.reviewer = user
            return task
    return None


def check_reviewer(task, user):
    """Refuse (NotYourReview) unless `user` may review `task`: a reviewer or admin now, and not its labeler."""
    role = access.role_in(user, task.project)
    if role not in REVIEW_ROLES:
        raise NotYourReview(
            f"Reviewing needs the reviewer or admin role in {task.project.name}; yours is {role or 'none'}."
        )
    if task.labeler_id is not None and task.labeler_id == user.pk:
        raise NotYourReview("You labelled this task, so someone else has to review it.")


def _check_reviewable(task, user):
    check_reviewer(task, user)
    if task.state not in REVIEWABLE_STATES:
        raise NotReviewable(f"Only completed or skipped tasks can be reviewed; this one is {task.state}.")


def accept(task, user):
    """Accept the task's labels: it becomes reviewed and any earlier comment is cleared."""
    _check_reviewable(task, user)
    return move(task, State.REVIEWED, reviewer=user, review_comment="")


def reject(task, user, comment):
    """Send the task back to its labeler as review_failed with `comment` saying what to fix."""
    _check_reviewable(task, user)
    comment = (comment or "").strip()
    if not comment:
        raise NotReviewable("Say what needs fixing: a rejection needs a comment.")
    if len(comment) > MAX_COMMENT_LENGTH:
        raise NotReviewable(f"The comment is longer than {MAX_COMMENT_LENGTH} characters.")
    return move(task, State.REVIEW_FAILED, reviewer=user, review_comment=comment)
