from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.password_validation import validate_password
from django.middleware.csrf import get_token
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import token_for, user_create
from common.api.schema import error_responses
from common.errors import Forbidden, Invalid


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    is_admin = serializers.BooleanField()


class CredentialsInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False)


def _authenticate(request, data) -> object:
    user = authenticate(request, username=data["username"], password=data["password"])
    if user is None or not user.is_active:
        raise Invalid("Wrong username or password.", code="invalid_credentials")
    return user


class AuthTokenApi(APIView):
    """Scripts: exchange a username and password for a token (``Authorization: Token <token>``)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=CredentialsInput, responses=OutputSerializer)
    def post(self, request):
        data = CredentialsInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _authenticate(request, data.validated_data)
        return Response({"token": token_for(user=user)})


@method_decorator(ensure_csrf_cookie, name="dispatch")
class AuthSessionApi(APIView):
    """The browser: GET sets the CSRF cookie and says who is signed in; POST signs in; DELETE signs out."""

    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        user = UserOutput(allow_null=True, help_text="Who is signed in; null when nobody is.")

    @extend_schema(responses=OutputSerializer)
    def get(self, request):
        get_token(request)
        user = request.user if request.user.is_authenticated else None
        return Response(self.OutputSerializer({"user": user}).data)

    @extend_schema(request=CredentialsInput, responses=OutputSerializer)
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
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(responses=UserOutput)
    def get(self, request):
        return Response(UserOutput(request.user).data)


class UserCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        username = serializers.RegexField(r"^[\w.@+-]+$", max_length=150)
        password = serializers.CharField(trim_whitespace=False, min_length=8)
        email = serializers.EmailField(required=False, default="")
        is_admin = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses={201: UserOutput, **error_responses(403, 409)})
    def post(self, request):
        if not request.user.is_admin:
            raise Forbidden("Only site admins create users.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        validate_password(data.validated_data["password"])
        user = user_create(**data.validated_data)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)
