from django.urls import path

from annotation import review_apis

urlpatterns: list = [
    path("projects/<int:project_id>/review-next", review_apis.ReviewNextApi.as_view(), name="project-review-next"),
    path("projects/<int:project_id>/review-queue", review_apis.ReviewQueueApi.as_view(), name="project-review-queue"),
    path("items/<int:item_id>/flags", review_apis.FlagCreateApi.as_view(), name="item-flags"),
]
