from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/token", apis.AuthTokenApi.as_view(), name="auth-token"),
    path("auth/session", apis.AuthSessionApi.as_view(), name="auth-session"),
    path("me", apis.MeApi.as_view(), name="me"),
    path("users", apis.UserListCreateApi.as_view(), name="users"),
    path("users/<int:user_id>", apis.UserDetailApi.as_view(), name="user"),
    path("users/<int:user_id>/tokens", apis.UserTokenListApi.as_view(), name="user-tokens"),
    path("users/<int:user_id>/tokens/<int:token_id>", apis.UserTokenDetailApi.as_view(), name="user-token"),
]
