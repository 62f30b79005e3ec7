from django.urls import include, path

from annotation import apis, item_apis

urlpatterns: list = [
    path("projects/<int:project_id>/next", apis.ItemNextApi.as_view(), name="project-next"),
    path("projects/<int:project_id>/stats", apis.ProjectStatsApi.as_view(), name="project-stats"),
    path("projects/<int:project_id>/annotations", apis.AnnotationListApi.as_view(), name="project-annotations"),
    path("projects/<int:project_id>/items", item_apis.ItemListApi.as_view(), name="project-items"),
    path("items/<int:item_id>", item_apis.ItemDetailApi.as_view(), name="item"),
    path("items/<int:item_id>/annotations", apis.AnnotationCreateApi.as_view(), name="item-annotations"),
    path("items/<int:item_id>/skip", apis.ItemSkipApi.as_view(), name="item-skip"),
    path("items/<int:item_id>/reviews", apis.ReviewCreateApi.as_view(), name="item-reviews"),
    path("", include("annotation.quality_urls")),
    path("", include("annotation.review_urls")),
]
