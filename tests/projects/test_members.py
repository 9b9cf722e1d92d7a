"""Project membership changes, and that a project always keeps an admin."""

import pytest
from django.urls import reverse

from labeling.creation import create_project
from projects.members import MembershipError, add_member, change_role, remove_member
from projects.models import ProjectMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(django_user_model):
    django_user_model.objects.create_user("bob")
    return create_project("m", None, owner=django_user_model.objects.create_user("ann"))


def test_add_change_remove(project):
    member = add_member(project, "bob", "labeler")
    assert change_role(project, member.pk, "reviewer").role == "reviewer"
    remove_member(project, member.pk)
    assert not ProjectMember.objects.filter(user__username="bob").exists()


@pytest.mark.parametrize(
    ("username", "role", "message"),
    [("ghost", "labeler", "There is no active user named ghost."), ("bob", "boss", "`boss` is not a role")],
)
def test_add_refusals(project, username, role, message):
    with pytest.raises(MembershipError, match=message):
        add_member(project, username, role)


def test_adding_twice(project):
    add_member(project, "bob", "labeler")
    with pytest.raises(MembershipError, match="bob is already a member of m."):
        add_member(project, "bob", "admin")


def test_last_admin_stays(project):
    admin = project.memberships.get()
    with pytest.raises(MembershipError, match="ann is the last admin of m"):
        change_role(project, admin.pk, "labeler")
    with pytest.raises(MembershipError, match="last admin"):
        remove_member(project, admin.pk)
    other = add_member(project, "bob", "admin")
    remove_member(project, admin.pk)
    assert list(project.memberships.values_list("pk", flat=True)) == [other.pk]


def test_members_page(client, project):
    client.force_login(project.created_by)
    url = reverse("projects:members", args=[project.pk])
    client.post(url, {"action": "add", "username": "bob", "role": "labeler"})
    page = client.get(url).content.decode()
    assert "bob" in page
    response = client.post(url, {"action": "add", "username": "bob", "role": "labeler"}, follow=True)
    assert "bob is already a member" in response.content.decode()
    response = client.post(url, {"action": "remove", "member": "nonsense"}, follow=True)
    assert "No such member" in response.content.decode()


def test_members_page_is_for_admins(client, project, django_user_model):
    add_member(project, "bob", "reviewer")
    client.force_login(django_user_model.objects.get(username="bob"))
    assert client.get(reverse("projects:members", args=[project.pk])).status_code == 403
