"""Who may see and do what in a project: the one place project visibility is decided."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from projects.models import Dataset, Project, ProjectMember

Role = ProjectMember.Role
ANY_ROLE = frozenset(Role.values)


def visible_projects(user):
    """Projects `user` is a member of (all of them for superusers)."""
    if not user.is_authenticated:
        return Project.objects.none()
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user).distinct()


def admin_projects(user):
    """Projects where `user` is admin (every project for superusers)."""
    if not user.is_authenticated:
        return Project.objects.none()
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user, memberships__role=Role.ADMIN).distinct()


def readable_datasets(user):
    """Datasets attached to a project `user` is in, and datasets they created."""
    if not user.is_authenticated:
        return Dataset.objects.none()
    if user.is_superuser:
        return Dataset.objects.all()
    return Dataset.objects.filter(Q(projects__in=visible_projects(user)) | Q(created_by=user)).distinct()


def manageable_datasets(user):
    """Datasets `user` may change: attached to a project they administer, or created by them."""
    if not user.is_authenticated:
        return Dataset.objects.none()
    if user.is_superuser:
        return Dataset.objects.all()
    return Dataset.objects.filter(Q(projects__in=admin_projects(user)) | Q(created_by=user)).distinct()


def role_in(user, project):
    """The user's role in `project`, "admin" for superusers, None for strangers."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    return ProjectMember.objects.filter(project=project, user=user).values_list("role", flat=True).first()


def get_project(user, project_id, roles=ANY_ROLE):
    """The project if `user` has one of `roles` in it; 404 for strangers, 403 for a lesser role."""
    project = Project.objects.filter(pk=project_id).first() if str(project_id).isdigit() else None
    role = role_in(user, project) if project else None
    if role is None:
        raise Http404("No such project.")
    if role not in roles:
        raise PermissionDenied(f"This needs the {' or '.join(sorted(roles))} role in {project.name}.")
    project.user_role = role
    return project
