from django.urls import path

from curation import apis

urlpatterns: list = [
    path("projects/<int:project_id>/versions", apis.VersionListCreateApi.as_view(), name="project-versions"),
    path("versions/<int:version_id>", apis.VersionDetailApi.as_view(), name="version"),
    path("versions/<int:version_id>/export", apis.VersionExportApi.as_view(), name="version-export"),
    path("versions/<int:version_id>/diff", apis.VersionDiffApi.as_view(), name="version-diff"),
    path("projects/<int:project_id>/evaluation-set", apis.EvaluationSetApi.as_view(), name="project-evaluation-set"),
]
