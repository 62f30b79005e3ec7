"""Helpers of the accounts tests. The throttles' counts live in Django's cache, which outlives a test
(Redis under CI outlives the run): throttle tests use addresses and usernames of their own."""
from __future__ import annotations

import uuid

import pytest

from tests import factories


@pytest.fixture
def fresh_address():
    """``fresh_address()``: a client address no other test (or run) has signed in from."""

    def make() -> str:
        n = uuid.uuid4().int
        return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250}"

    return make


@pytest.fixture
def fresh_user(db):
    """``fresh_user()``: a user whose username no other test (or run) has signed in with."""

    def make(**fields):
        return factories.make_user(f"u-{uuid.uuid4().hex[:12]}", **fields)

    return make


def sign_in(client, username: str, password: str = factories.PASSWORD, *, address: str, path: str = "/api/v1/auth/token", **extra):
    return client.post(path, {"username": username, "password": password}, format="json", REMOTE_ADDR=address, **extra)


def with_token(client, key: str):
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
