"""Account management: only the county administrator, every change audited, areas checked."""

import pytest

from dudao.accounts.models import User
from dudao.audit.models import AuditEvent


def test_admin_creates_a_township_clerk_who_can_sign_in(users, client_for):
    admin = client_for(users["county_admin"])
    response = admin.post("/users/new/", {"username": "xq_clerk", "display_name": "喜泉文书", "role": "town_staff",
                                          "unit": "620423103000", "password": "Xiquan-2026-clerk", "is_active": "on"})
    assert response["Location"] == "/users/xq_clerk/edit/"
    clerk = User.objects.get(username="xq_clerk")
    assert (clerk.role, clerk.scope_unit.code, clerk.is_active) == ("town_staff", "620423103000", True)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor_label, event.after["password_changed"]) == (
        "user.create", "user:demo_admin", True)
    assert "Xiquan" not in str(event.after)
    from django.test import Client

    assert Client().post("/accounts/login/", {"username": "xq_clerk", "password": "Xiquan-2026-clerk"}).status_code \
        == 302


def test_area_must_fit_the_role_and_passwords_are_validated(users, client_for):
    admin = client_for(users["county_admin"])
    response = admin.post("/users/new/", {"username": "bad", "role": "town_staff", "unit": "620423103200",
                                          "is_active": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Township staff need a township as their area." in response.content.decode()
    response = admin.post("/users/new/", {"username": "weak", "role": "leader", "password": "12345678",
                                          "is_active": "on"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "This password is too short." in response.content.decode()
    assert not User.objects.filter(username__in=["bad", "weak"]).exists()


def test_deactivating_a_user_blocks_sign_in(users, client_for):
    admin = client_for(users["county_admin"])
    admin.post("/users/demo_village/edit/", {"role": "village_staff", "unit": "620423103200", "display_name": "x"})
    assert User.objects.get(username="demo_village").is_active is False


@pytest.mark.parametrize("role", ["office", "leader", "inspector", "town_staff", "village_staff"])
def test_only_the_county_admin_manages_users(users, client_for, role):
    client = client_for(users[role])
    events = AuditEvent.objects.count()
    assert client.get("/users/").status_code == 403
    response = client.post("/users/new/", {"username": "sneaky", "role": "county_admin", "is_active": "on",
                                           "password": "Sneaky-password-2026"})
    assert response.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()
    assert AuditEvent.objects.count() == events
