from django.urls import path

from annotation import quality_apis

urlpatterns: list = [
    path("projects/<int:project_id>/agreement", quality_apis.ProjectAgreementApi.as_view(), name="project-agreement"),
]
