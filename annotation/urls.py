from django.urls import include, path

from annotation import apis, export_apis, label_apis

urlpatterns: list = [
    path("projects/<int:project_id>/next", apis.ItemNextApi.as_view(), name="project-next"),
    path("projects/<int:project_id>/stats", apis.ProjectStatsApi.as_view(), name="project-stats"),
    path("projects/<int:project_id>/annotations", apis.AnnotationListApi.as_view(), name="project-annotations"),
    path("projects/<int:project_id>/export", export_apis.ProjectExportApi.as_view(), name="project-export"),
    # projects/<id>/items, items/<id> and projects/<id>/items/bulk: training/urls.py (training.item_apis
    # reads cleaning and training too, which annotation may not import).
    path("items/<int:item_id>/annotations", apis.AnnotationCreateApi.as_view(), name="item-annotations"),
    path("items/<int:item_id>/skip", apis.ItemSkipApi.as_view(), name="item-skip"),
    path("items/<int:item_id>/reviews", apis.ReviewCreateApi.as_view(), name="item-reviews"),
    path("annotations/<int:annotation_id>", apis.AnnotationDetailApi.as_view(), name="annotation"),
    path("projects/<int:project_id>/labels/rename", label_apis.LabelRenameApi.as_view(), name="project-labels-rename"),
    path("projects/<int:project_id>/labels/merge", label_apis.LabelMergeApi.as_view(), name="project-labels-merge"),
    path("projects/<int:project_id>/labels/delete", label_apis.LabelDeleteApi.as_view(), name="project-labels-delete"),
    path("", include("annotation.quality_urls")),
    path("", include("annotation.review_urls")),
]
