"""Project membership: adding users with a role, changing roles, removing members.

A project always keeps at least one admin, so it can never be left without someone to run it.
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from projects.models import ProjectMember

Role = ProjectMember.Role


class MembershipError(ValueError):
    """A membership change was refused; the message says why."""


def add_member(project, username, role):
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise MembershipError(f"There is no active user named {username}.")
    if role not in Role.values:
        raise MembershipError(f"`{role}` is not a role; use admin, reviewer or labeler.")
    try:
        with transaction.atomic():
            return ProjectMember.objects.create(project=project, user=user, role=role)
    except IntegrityError as error:
        raise MembershipError(f"{username} is already a member of {project.name}.") from error


@transaction.atomic
def change_role(project, member_id, role):
    if role not in Role.values:
        raise MembershipError(f"`{role}` is not a role; use admin, reviewer or labeler.")
    member = _locked_member(project, member_id)
    if member.role == Role.ADMIN and role != Role.ADMIN:
        _keep_an_admin(project, member)
    member.role = role
    member.save(update_fields=["role"])
    return member


@transaction.atomic
def remove_member(project, member_id):
    member = _locked_member(project, member_id)
    if member.role == Role.ADMIN:
        _keep_an_admin(project, member)
    member.delete()


def _locked_member(project, member_id):
    # Locking every membership of the project serialises concurrent changes, so two admins
    # demoting each other at once cannot leave the project without an admin.
    members = list(ProjectMember.objects.select_for_update().filter(project=project))
    for member in members:
        if str(member.pk) == str(member_id):
            return member
    raise MembershipError("No such member in this project.")


def _keep_an_admin(project, member):
    if not ProjectMember.objects.filter(project=project, role=Role.ADMIN).exclude(pk=member.pk).exists():
        raise MembershipError(f"{member.user} is the last admin of {project.name}; make someone else admin first.")
