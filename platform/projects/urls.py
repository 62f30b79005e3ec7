from django.urls import path

from projects import apis

urlpatterns = [
    path("projects", apis.ProjectListCreateApi.as_view(), name="projects"),
    path("projects/<int:project_id>", apis.ProjectDetailApi.as_view(), name="project"),
    path("projects/<int:project_id>/members", apis.MemberListCreateApi.as_view(), name="project-members"),
    path("projects/<int:project_id>/members/<str:username>", apis.MemberDetailApi.as_view(), name="project-member"),
]
