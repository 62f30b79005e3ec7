from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
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
from projects.selectors import EMPTY_PROGRESS, projects_progress


class ProjectProgressOutput(serializers.Serializer):
    items = serializers.IntegerField(help_text="Every item, excluded ones included.")
    excluded = serializers.IntegerField(help_text="Items cleaning excluded.")
    completed_items = serializers.IntegerField(help_text="Included items with `annotations_per_item` annotations.")


class ProjectOutput(serializers.ModelSerializer):
    labels = serializers.ListField(child=serializers.CharField(), help_text="The label names, in order.")
    role = serializers.SerializerMethodField(help_text="The caller's role: admin for site admins.")
    progress = serializers.SerializerMethodField(help_text="The project's labeling progress (as on its stats).")

    class Meta:
        model = Project
        fields = ["id", "name", "task_type", "labels", "guidelines", "annotations_per_item", "queue_order",
                  "review_threshold", "span_overlap", "created_at", "role", "progress"]

    def get_role(self, project) -> str | None:
        return getattr(project, "user_role", None)

    @extend_schema_field(ProjectProgressOutput)
    def get_progress(self, project) -> dict:
        progress = getattr(project, "progress", None)
        if progress is None:  # one project: its own query (lists set it for a page at once)
            progress = projects_progress([project.id]).get(project.id, EMPTY_PROGRESS)
        return ProjectProgressOutput(progress).data


class ProjectInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    task_type = serializers.ChoiceField(choices=TaskType.choices)
    labels = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1, max_length=500)
    guidelines = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    annotations_per_item = serializers.IntegerField(required=False, default=1, min_value=1, max_value=50)
    span_overlap = serializers.BooleanField(
        required=False, default=False, help_text="Span projects: whether an item's spans may overlap."
    )


class ProjectListCreateApi(APIView):
    @extend_schema(responses=paginated(ProjectOutput))
    def get(self, request):
        projects = projects_visible_to(request.user)

        def serialize(rows):
            # Three queries a page whatever its size: the projects, the caller's roles, the progress.
            ids = [project.id for project in rows]
            roles = {} if request.user.is_admin else dict(
                Membership.objects.filter(user=request.user, project_id__in=ids).values_list("project_id", "role")
            )
            progress = projects_progress(ids)
            for project in rows:
                project.user_role = "admin" if request.user.is_admin else roles.get(project.id)
                project.progress = progress.get(project.id, EMPTY_PROGRESS)
            return ProjectOutput(rows, many=True).data

        return keyset_page(request, projects, serialize, descending=True)

    @extend_schema(request=ProjectInput, responses={201: ProjectOutput, **error_responses(403)})
    def post(self, request):
        if not request.user.is_admin:
            raise Forbidden(_("Only site admins create projects."))
        data = ProjectInput(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(created_by=request.user, **data.validated_data)
        project.user_role = "admin"
        project.progress = EMPTY_PROGRESS
        return Response(ProjectOutput(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    class UpdateSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=200, required=False)
        labels = serializers.ListField(child=serializers.CharField(max_length=200), min_length=1, required=False)
        # Markdown, kept as written: an indented first line is a code block, not stray space.
        guidelines = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
        annotations_per_item = serializers.IntegerField(required=False, min_value=1, max_value=50)
        queue_order = serializers.ChoiceField(choices=Project.QueueOrder.choices, required=False,
                                              help_text="The order annotators get items in.")
        review_threshold = serializers.FloatField(
            required=False, min_value=0.0, max_value=1.0,
            help_text="Items whose consolidation confidence is under this go to the review queue (low_confidence).",
        )
        span_overlap = serializers.BooleanField(
            required=False,
            help_text="Span projects: whether an item's spans may overlap. Existing annotations are not re-checked.",
        )

    @extend_schema(responses=ProjectOutput)
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id)
        return Response(ProjectOutput(project).data)

    @extend_schema(request=UpdateSerializer, responses={200: ProjectOutput, **error_responses(409)})
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
    role = serializers.ChoiceField(choices=Role.choices)
    is_admin = serializers.BooleanField(
        source="user.is_admin", help_text="A site admin, who may do everything here whatever this role says."
    )
    is_active = serializers.BooleanField(source="user.is_active", help_text="False: their account is deactivated.")
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


class MemberDetailApi(APIView):
    """One member of a project (managers and site admins): PATCH gives them another role, DELETE takes
    them out; either holds from their next request. Their annotations stay. The project's last manager
    can be neither demoted nor removed (409 ``last_manager``)."""

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices)

    @extend_schema(request=InputSerializer, responses={200: MembershipOutput, **error_responses(409)})
    def patch(self, request, project_id: int, username: str):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.membership_update(project=project, username=username, **data.validated_data)
        return Response(MembershipOutput(membership).data)

    @extend_schema(responses={204: None, **error_responses(409)})
    def delete(self, request, project_id: int, username: str):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        services.membership_remove(project=project, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)
