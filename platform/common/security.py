"""Content-Security-Policy on every response (Django 5.2 has none built in).

The policy is ``settings.CONTENT_SECURITY_POLICY``; a path listed in
``settings.CONTENT_SECURITY_POLICY_BY_PATH`` gets its own (the Swagger page inlines its start-up script
and a style block). An empty policy sends no header; a response that already carries one keeps it.
"""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY_BY_PATH.get(request.path, settings.CONTENT_SECURITY_POLICY)
        if policy and HEADER not in response:
            response[HEADER] = policy
        return response
