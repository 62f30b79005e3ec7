from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/token", apis.AuthTokenApi.as_view(), name="auth-token"),
    path("auth/session", apis.AuthSessionApi.as_view(), name="auth-session"),
    path("me", apis.MeApi.as_view(), name="me"),
    path("users", apis.UserCreateApi.as_view(), name="users"),
]
