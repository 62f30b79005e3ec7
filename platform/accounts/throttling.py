"""Sign-in throttling for ``POST /auth/token`` and ``POST /auth/session``: DRF's rate throttles, per
client address and per username, counted in Django's cache (one for all web workers: see the accounts
block of settings). Every attempt counts, right or wrong: each costs a password hash.

The counts are read then written, not incremented atomically, so a burst of parallel attempts may pass
the limit by about the number of workers; the next window holds.
"""
from __future__ import annotations

import hashlib
import ipaddress

from django.conf import settings
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import Throttled
from rest_framework.throttling import SimpleRateThrottle


class SignInThrottled(Throttled):
    # Lazy, as DRF's own: Throttled.__init__ reads them in the request's language.
    default_detail = gettext_lazy("Too many sign-in attempts.")
    extra_detail_singular = gettext_lazy("Try again in {wait} second.")
    extra_detail_plural = gettext_lazy("Try again in {wait} seconds.")


def address_key(address: str | None) -> str:
    """The throttled unit of a client address: the address itself, or its /64 for IPv6 (one host
    commonly holds a whole /64, so a /128 would be free to rotate).

    >>> address_key("2001:db8::1:2:3:4"), address_key("203.0.113.9")
    ('2001:db8::/64', '203.0.113.9')
    """
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class _SignInThrottle(SimpleRateThrottle):
    setting = ""

    def get_rate(self) -> str:
        # Read per request (DRF builds throttles per request), so override_settings takes effect.
        return getattr(settings, self.setting)


class SignInAddressThrottle(_SignInThrottle):
    scope = "signin_address"
    setting = "DATAMOAT_LOGIN_THROTTLE_RATE"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": address_key(self.get_ident(request))}


class SignInUsernameThrottle(_SignInThrottle):
    scope = "signin_username"
    setting = "DATAMOAT_LOGIN_USER_THROTTLE_RATE"

    def get_cache_key(self, request, view) -> str | None:
        data = request.data
        username = data.get("username") if hasattr(data, "get") else None
        if not isinstance(username, str) or not username.strip():
            return None  # nothing to guess against: the serializer answers 400
        # As the credentials serializer reads it (trimmed), case-folded; hashed to a safe cache key.
        ident = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


class SignInThrottleMixin:
    """For a view whose POST signs in: throttle POST only, and answer 429 in words for people."""

    def get_throttles(self):
        if self.request.method == "POST":
            return [SignInAddressThrottle(), SignInUsernameThrottle()]
        return []

    def throttled(self, request, wait):
        raise SignInThrottled(wait)
