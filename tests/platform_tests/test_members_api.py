"""Members re-roled and removed (PATCH/DELETE /projects/{id}/members/{username}), the project's last
manager kept, the effect at the very next request; the real role on project answers; the project cards'
progress."""
import pytest

from accounts.roles import Role
from projects.models import Item, Membership
from tests import factories

pytestmark = pytest.mark.django_db


def member_url(project, username: str) -> str:
    return f"/api/v1/projects/{project.id}/members/{username}"


@pytest.mark.parametrize("persona,status", [("admin", 200), ("manager", 200), ("reviewer", 403), ("annotator", 403), ("outsider", 404)])
def test_only_managers_and_admins_change_a_role(request, client_for, project, manager, annotator, persona, status):
    user = request.getfixturevalue(persona)
    response = client_for(user).patch(member_url(project, "annotator"), {"role": "reviewer"}, format="json")
    assert response.status_code == status
    expected = "reviewer" if status == 200 else "annotator"
    assert Membership.objects.get(project=project, user=annotator).role == expected
    if status == 200:
        body = response.json()
        assert (body["username"], body["role"], body["is_admin"], body["is_active"]) == ("annotator", "reviewer", False, True)


@pytest.mark.parametrize("persona,status", [("admin", 204), ("manager", 204), ("reviewer", 403), ("annotator", 403), ("outsider", 404)])
def test_only_managers_and_admins_remove_a_member(request, client_for, project, manager, reviewer, annotator, persona, status):
    user = request.getfixturevalue(persona)
    assert client_for(user).delete(member_url(project, "annotator")).status_code == status
    assert Membership.objects.filter(project=project, user=annotator).exists() == (status != 204)


def test_a_demoted_manager_is_refused_manager_calls_at_their_next_request(client_for, project, manager):
    other = factories.make_member(project, factories.make_user("second"), Role.MANAGER)
    theirs = client_for(other)
    assert theirs.get(f"/api/v1/projects/{project.id}/members").status_code == 200
    assert client_for(manager).patch(member_url(project, "second"), {"role": "annotator"}, format="json").status_code == 200
    # The same client (nothing cached on it): the role is read afresh on every request.
    assert theirs.get(f"/api/v1/projects/{project.id}/members").status_code == 403
    assert theirs.patch(f"/api/v1/projects/{project.id}", {"name": "mine"}, format="json").status_code == 403
    assert theirs.get(f"/api/v1/projects/{project.id}").json()["role"] == "annotator"


def test_a_removed_member_no_longer_sees_the_project_but_their_annotations_stay(client_for, project, manager, annotator):
    from annotation.models import Annotation

    item = factories.make_items(project, ["a text"])[0]
    theirs = client_for(annotator)
    assert theirs.post(f"/api/v1/projects/{project.id}/next").status_code == 200
    assert theirs.post(f"/api/v1/items/{item.id}/annotations", {"value": {"label": "positive"}}, format="json").status_code == 201
    assert client_for(manager).delete(member_url(project, "annotator")).status_code == 204
    assert theirs.get(f"/api/v1/projects/{project.id}").status_code == 404
    assert theirs.post(f"/api/v1/projects/{project.id}/next").status_code == 404
    assert theirs.get("/api/v1/projects").json()["results"] == []
    assert Annotation.objects.filter(item=item, annotator=annotator, label="positive").count() == 1
    # Back in, they find their work where they left it.
    assert client_for(manager).post(
        f"/api/v1/projects/{project.id}/members", {"username": "annotator", "role": "annotator"}, format="json"
    ).status_code == 201
    assert theirs.get(f"/api/v1/projects/{project.id}").status_code == 200


def test_a_removed_member_gives_back_the_items_they_held(client_for, project, manager, annotator):
    from annotation.models import Lease

    project.annotations_per_item = 1
    project.save(update_fields=["annotations_per_item"])
    factories.make_items(project, ["only text"])
    other = factories.make_user("other")
    Membership.objects.create(project=project, user=other, role=Role.ANNOTATOR)
    held = client_for(annotator).post(f"/api/v1/projects/{project.id}/next").json()["item"]["id"]
    assert client_for(other).post(f"/api/v1/projects/{project.id}/next").status_code == 204  # k = 1: held
    assert client_for(manager).delete(member_url(project, "annotator")).status_code == 204
    assert not Lease.objects.filter(user=annotator).exists()
    # At once, not when the lease would have run out.
    assert client_for(other).post(f"/api/v1/projects/{project.id}/next").json()["item"]["id"] == held


@pytest.mark.parametrize("change", ["demote", "remove"])
def test_the_last_manager_is_kept(client_for, project, manager, admin, change):
    client = client_for(admin)
    if change == "demote":
        response = client.patch(member_url(project, "manager"), {"role": "reviewer"}, format="json")
    else:
        response = client.delete(member_url(project, "manager"))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "last_manager" and "manager" in error["message"]
    assert Membership.objects.get(project=project, user=manager).role == Role.MANAGER
    # With a second manager, the first may step down (themself, too).
    factories.make_member(project, factories.make_user("second"), Role.MANAGER)
    assert client_for(manager).patch(member_url(project, "manager"), {"role": "reviewer"}, format="json").status_code == 200
    assert client_for(admin).delete(member_url(project, "second")).status_code == 409


def test_keeping_the_manager_role_is_no_change(client_for, project, manager):
    response = client_for(manager).patch(member_url(project, "manager"), {"role": "manager"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "manager"


def test_an_unknown_member_or_role_is_refused(client_for, project, manager, outsider):
    client = client_for(manager)
    for response in (
        client.patch(member_url(project, "outsider"), {"role": "reviewer"}, format="json"),
        client.delete(member_url(project, "outsider")),
        client.delete(member_url(project, "nobody-at-all")),
    ):
        assert response.status_code == 404 and "not a member" in response.json()["error"]["message"]
    bad = client.patch(member_url(project, "manager"), {"role": "owner"}, format="json")
    assert bad.status_code == 400 and "role" in bad.json()["error"]["fields"]


def test_a_member_of_another_project_is_not_a_member_here(client_for, project, manager):
    other = factories.make_project(name="other")
    factories.make_member(other, factories.make_user("elsewhere"), Role.ANNOTATOR)
    assert client_for(manager).delete(member_url(project, "elsewhere")).status_code == 404
    assert Membership.objects.filter(project=other).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_demoting_each_other_at_once_leaves_a_manager(requires_postgres):
    """Two managers demote each other in two transactions at once: the project row lock orders them,
    and the second sees the first's demotion (without it, both count the other and none is left)."""
    import threading

    from django.db import connection

    from common.errors import Conflict
    from projects import services

    project = factories.make_project(name="race")
    for name in ("first", "second"):
        factories.make_member(project, factories.make_user(name), Role.MANAGER)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(username: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.membership_update(project=project, username=username, role=Role.REVIEWER)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        except BaseException as exc:  # reported below; a thread's exception would be lost otherwise
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=demote, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["last_manager", "ok"]
    assert Membership.objects.filter(project=project, role=Role.MANAGER).count() == 1


def test_members_show_who_is_a_site_admin_and_who_is_deactivated(client_for, project, manager, admin):
    factories.make_member(project, admin, Role.MANAGER)
    gone = factories.make_member(project, factories.make_user("gone"), Role.ANNOTATOR)
    gone.is_active = False
    gone.save()
    rows = {m["username"]: m for m in client_for(manager).get(f"/api/v1/projects/{project.id}/members").json()["results"]}
    assert (rows["admin"]["is_admin"], rows["manager"]["is_admin"]) == (True, False)
    assert (rows["gone"]["is_active"], rows["manager"]["is_active"]) == (False, True)


def test_a_site_admin_is_shown_as_admin_even_where_they_are_a_member(client_for, admin):
    created = client_for(admin).post(
        "/api/v1/projects", {"name": "Mine", "task_type": "classification", "labels": ["a", "b"]}, format="json"
    ).json()
    assert created["role"] == "admin"
    # The creator is also the project's manager member; the role answered is still the real one.
    assert Membership.objects.get(project_id=created["id"], user=admin).role == Role.MANAGER
    assert client_for(admin).get(f"/api/v1/projects/{created['id']}").json()["role"] == "admin"
    assert [p["role"] for p in client_for(admin).get("/api/v1/projects").json()["results"]] == ["admin"]


def test_project_answers_carry_their_progress(client_for, project, manager):
    project.annotations_per_item = 2
    project.save()
    items = factories.make_items(project, [f"text {i}" for i in range(5)])
    Item.objects.filter(id__in=[items[0].id, items[1].id]).update(annotation_count=2)
    Item.objects.filter(id=items[2].id).update(annotation_count=1)
    Item.objects.filter(id=items[3].id).update(annotation_count=3, excluded_reason="duplicate")
    expected = {"items": 5, "excluded": 1, "completed_items": 2}
    assert client_for(manager).get(f"/api/v1/projects/{project.id}").json()["progress"] == expected
    assert client_for(manager).get("/api/v1/projects").json()["results"][0]["progress"] == expected
    # The stats endpoint counts the same.
    stats = client_for(manager).get(f"/api/v1/projects/{project.id}/stats").json()
    assert {key: stats[key] for key in expected} == expected


def test_the_project_list_counts_progress_in_constant_queries(client_for, admin, outsider, django_assert_max_num_queries):
    for i in range(12):
        project = factories.make_project(name=f"p{i}", k=1 + i % 3)
        factories.make_member(project, outsider, Role.ANNOTATOR)
        items = factories.make_items(project, [f"p{i} text {j}" for j in range(i)])
        Item.objects.filter(id__in=[item.id for item in items[: i // 2]]).update(annotation_count=1 + i % 3)
    for user, queries in ((admin, 2), (outsider, 3)):
        with django_assert_max_num_queries(queries):
            body = client_for(user).get("/api/v1/projects?page_size=10").json()
        got = {p["name"]: p["progress"] for p in body["results"]}
        assert len(got) == 10
        assert got["p11"] == {"items": 11, "excluded": 0, "completed_items": 5}
        assert got["p2"] == {"items": 2, "excluded": 0, "completed_items": 1}
        assert {p["role"] for p in body["results"]} == {"admin" if user.is_admin else "annotator"}
    empty = factories.make_project(name="empty")
    factories.make_member(empty, outsider, Role.ANNOTATOR)
    first = client_for(outsider).get("/api/v1/projects?page_size=1").json()["results"][0]
    assert (first["name"], first["progress"]) == ("empty", {"items": 0, "excluded": 0, "completed_items": 0})
