from django.contrib.auth import authenticate, login, logout
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.access import token_of_user, user_for_tokens
from accounts.models import Token
from accounts.throttling import SignInThrottleMixin
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import ErrorOutput
from common.errors import Forbidden, Invalid

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
        raise Invalid("Wrong username or password.", code="invalid_credentials")
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
                "This request carries no token: send the one to revoke as `Authorization: Token <key>` "
                "(a signed-in browser revokes tokens at /api/v1/users/{id}/tokens).",
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


class UserCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
        password = serializers.CharField(
            trim_whitespace=False, max_length=4096, help_text="Checked by Django's password validators."
        )
        email = serializers.EmailField(required=False, default="")
        is_admin = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses={201: UserOutput, **error_responses(403, 409)})
    def post(self, request):
        if not request.user.is_admin:
            raise Forbidden("Only site admins create users.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(**data.validated_data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


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
