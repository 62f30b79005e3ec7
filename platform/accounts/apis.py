from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.db.models import Q
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.access import token_of_user, user_for_tokens
from accounts.models import Token, User
from accounts.throttling import SignInThrottleMixin
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import ErrorOutput
from common.errors import Forbidden, Invalid, NotFound
from common.rows import valid_pk

# The sign-in operations' 429: the error envelope (as error_responses gives it) with what it means here.
THROTTLED = {
    429: OpenApiResponse(
        ErrorOutput,
        description="Too many sign-in attempts from this address or for this username (code `throttled`); "
        "the `Retry-After` header says in how many seconds to try again.",
    )
}


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    is_admin = serializers.BooleanField()
    is_active = serializers.BooleanField(help_text="False: deactivated; they cannot sign in and their tokens are revoked.")
    last_login = serializers.DateTimeField(allow_null=True, help_text="Their last sign-in in the browser; null when never.")


class CredentialsInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


class TokenOutput(serializers.Serializer):
    """A token as lists show it: never its key, which is shown once, when it is issued."""

    id = serializers.IntegerField()
    prefix = serializers.CharField(help_text="The key's first 8 characters, to tell tokens apart.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Null: it never expires.")
    last_used_at = serializers.DateTimeField(
        allow_null=True, help_text="Its last use, to within 5 minutes; null when never used."
    )


def _authenticate(request, data) -> object:
    user = authenticate(request, username=data["username"], password=data["password"])
    if user is None or not user.is_active:
        raise Invalid(_("Wrong username or password."), code="invalid_credentials")
    return user


class AuthTokenApi(SignInThrottleMixin, APIView):
    """Scripts: POST exchanges a username and password for a new token (``Authorization: Token <key>``);
    DELETE revokes the token the request carries. Sign-in attempts are throttled per address and per
    username (429 with ``Retry-After``)."""

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="The key: shown this once, never again.")
        expires_at = serializers.DateTimeField(allow_null=True, help_text="Null: it never expires.")

    def get_authenticators(self):
        # Signing in authenticates nothing: a stale token or a session (without CSRF) must not stand
        # in the way of getting a new token.
        if getattr(self, "request", None) is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self):
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(request=CredentialsInput, responses={200: OutputSerializer, **THROTTLED})
    def post(self, request):
        data = CredentialsInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _authenticate(request, data.validated_data)
        token, key = services.token_create(user=user)
        return Response(self.OutputSerializer({"token": key, "expires_at": token.expires_at}).data)

    @extend_schema(responses={204: None, **error_responses(400)})
    def delete(self, request):
        if not isinstance(request.auth, Token):
            raise Invalid(
                _("This request carries no token: send the one to revoke as `Authorization: Token <key>` "
                  "(a signed-in browser revokes tokens at /api/v1/users/{id}/tokens)."),
                code="no_token",
            )
        services.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(ensure_csrf_cookie, name="dispatch")
class AuthSessionApi(SignInThrottleMixin, APIView):
    """The browser: GET sets the CSRF cookie and says who is signed in; POST signs in (throttled per
    address and per username: 429 with ``Retry-After``); DELETE signs out, ending the session on the
    server, and revokes the token the request carries, if any."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        user = UserOutput(allow_null=True, help_text="Who is signed in; null when nobody is.")

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        get_token(request)
        user = request.user if request.user.is_authenticated else None
        return Response(self.OutputSerializer({"user": user}).data)

    @extend_schema(request=CredentialsInput, responses={200: OutputSerializer, **THROTTLED})
    def post(self, request):
        # DRF checks CSRF only for signed-in users; a login form needs it too (login CSRF).
        SessionAuthentication().enforce_csrf(request)
        data = CredentialsInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _authenticate(request, data.validated_data)
        login(request, user)
        return Response(self.OutputSerializer({"user": user}).data)

    @extend_schema(responses={204: None})
    def delete(self, request):
        if isinstance(request.auth, Token):
            services.token_revoke(token=request.auth)
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(responses=UserOutput)
    def get(self, request):
        return Response(UserOutput(request.user).data)


def _require_admin(user, refusal: str) -> None:
    if not user.is_admin:
        raise Forbidden(refusal)


class UserListCreateApi(APIView):
    """Site admins: GET lists every user (by id; ``?search=`` matches the username or email, any case),
    POST creates one."""

    class InputSerializer(serializers.Serializer):
        username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
        password = serializers.CharField(
            trim_whitespace=False, max_length=4096, help_text="Checked by Django's password validators."
        )
        email = serializers.EmailField(required=False, default="")
        is_admin = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="Part of the username or email, any case.")],
        responses={200: paginated(UserOutput), **error_responses(403)},
    )
    def get(self, request):
        _require_admin(request.user, _("Only site admins list users."))
        users = User.objects.all()
        search = request.query_params.get("search", "").strip()
        if search:
            users = users.filter(Q(username__icontains=search) | Q(email__icontains=search))
        return keyset_page(request, users, lambda rows: UserOutput(rows, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: UserOutput, **error_responses(403, 409)})
    def post(self, request):
        _require_admin(request.user, _("Only site admins create users."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class UserDetailApi(APIView):
    """Site admins: PATCH deactivates or reactivates a user, makes or unmakes a site admin, or sets a
    new password. Deactivating revokes the user's tokens; a new password ends their browser sessions
    (not the caller's own). Nobody deactivates or unmakes themself (409 ``self_change``)."""

    class InputSerializer(serializers.Serializer):
        is_active = serializers.BooleanField(required=False, help_text="False deactivates and revokes their tokens.")
        is_admin = serializers.BooleanField(required=False)
        password = serializers.CharField(
            required=False, trim_whitespace=False, max_length=4096,
            help_text="A new password, checked by Django's password validators (400 `weak_password`).",
        )

    @extend_schema(request=InputSerializer, responses={200: UserOutput, **error_responses(403, 409)})
    def patch(self, request, user_id: int):
        _require_admin(request.user, _("Only site admins change users."))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pk = valid_pk(user_id)
        user = User.objects.filter(pk=pk).first() if pk is not None else None
        if user is None:
            raise NotFound(_("No such user."))
        user = services.user_update(actor=request.user, user=user, **data.validated_data)
        if user.pk == request.user.pk and "password" in data.validated_data and request.auth is None:
            update_session_auth_hash(request, user)  # the admin's own browser session stays signed in
        return Response(UserOutput(user).data)


class UserTokenListApi(APIView):
    """A user's API tokens: site admins for anyone, everyone else for themselves. DELETE revokes them
    all (a lost laptop, a leaked script)."""

    class RevokedSerializer(serializers.Serializer):
        revoked = serializers.IntegerField(help_text="How many tokens were revoked.")

    @extend_schema(responses={200: paginated(TokenOutput), **error_responses(403)})
    def get(self, request, user_id: int):
        user = user_for_tokens(actor=request.user, user_id=user_id)
        tokens = Token.objects.filter(user=user)
        return keyset_page(request, tokens, lambda rows: TokenOutput(rows, many=True).data, descending=True)

    @extend_schema(operation_id="users_tokens_revoke_all", responses={200: RevokedSerializer, **error_responses(403)})
    def delete(self, request, user_id: int):
        user = user_for_tokens(actor=request.user, user_id=user_id)
        revoked = services.tokens_revoke(user=user)
        return Response(self.RevokedSerializer({"revoked": revoked}).data)


class UserTokenDetailApi(APIView):
    """One of a user's tokens: DELETE revokes it (site admins for anyone, everyone else for themselves)."""

    @extend_schema(operation_id="users_tokens_revoke", responses={204: None, **error_responses(403)})
    def delete(self, request, user_id: int, token_id: int):
        user = user_for_tokens(actor=request.user, user_id=user_id)
        services.token_revoke(token=token_of_user(user=user, token_id=token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
