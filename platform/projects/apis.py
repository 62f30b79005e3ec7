from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE, Role
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.errors import Forbidden
from projects import services
from projects.access import project_for_user, projects_visible_to
from projects.models import Membership, Project, TaskType


class ProjectOutput(serializers.ModelSerializer):
    labels = serializers.ListField(child=serializers.CharField(), help_text="The label names, in order.")
    role = serializers.SerializerMethodField(help_text="The caller's role: admin for site admins.")

    class Meta:
        model = Project
        fields = ["id", "name", "task_type", "labels", "guidelines", "annotations_per_item", "queue_order",
                  "review_threshold", "created_at", "role"]

    def get_role(self, project) -> str | None:
        return getattr(project, "user_role", None)


class ProjectInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    task_type = serializers.ChoiceField(choices=TaskType.choices)
    labels = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1, max_length=500)
    guidelines = serializers.CharField(required=False, allow_blank=True, default="")
    annotations_per_item = serializers.IntegerField(required=False, default=1, min_value=1, max_value=50)


class ProjectListCreateApi(APIView):
    @extend_schema(responses=paginated(ProjectOutput))
    def get(self, request):
        projects = projects_visible_to(request.user)
        roles = dict(Membership.objects.filter(user=request.user).values_list("project_id", "role"))

        def serialize(rows):
            for project in rows:
                project.user_role = "admin" if request.user.is_admin else roles.get(project.id)
            return ProjectOutput(rows, many=True).data

        return keyset_page(request, projects, serialize, descending=True)

    @extend_schema(request=ProjectInput, responses={201: ProjectOutput, **error_responses(403)})
    def post(self, request):
        if not request.user.is_admin:
            raise Forbidden("Only site admins create projects.")
        data = ProjectInput(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(created_by=request.user, **data.validated_data)
        project.user_role = "admin"
        return Response(ProjectOutput(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    class UpdateSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        labels = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1, required=False)
        guidelines = serializers.CharField(required=False, allow_blank=True)
        annotations_per_item = serializers.IntegerField(required=False, min_value=1, max_value=50)
        queue_order = serializers.ChoiceField(choices=Project.QueueOrder.choices, required=False,
                                              help_text="The order annotators get items in.")
        review_threshold = serializers.FloatField(
            required=False, min_value=0.0, max_value=1.0,
            help_text="Items whose consolidation confidence is under this go to the review queue (low_confidence).",
        )

    @extend_schema(responses=ProjectOutput)
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id)
        return Response(ProjectOutput(project).data)

    @extend_schema(request=UpdateSerializer, responses=ProjectOutput)
    def patch(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = self.UpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        project = services.project_update(project=project, **data.validated_data)
        return Response(ProjectOutput(project).data)

    @extend_schema(responses={204: None})
    def delete(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        services.project_delete(project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MembershipOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    user_id = serializers.IntegerField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


class MemberListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(responses={200: paginated(MembershipOutput), **error_responses(403)})
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        members = Membership.objects.filter(project=project).select_related("user")
        return keyset_page(request, members, lambda rows: MembershipOutput(rows, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: MembershipOutput, **error_responses(409)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_add(project=project, **data.validated_data)
        return Response(MembershipOutput(membership).data, status=status.HTTP_201_CREATED)
