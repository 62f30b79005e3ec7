from django.urls import path

from cleaning import apis

urlpatterns = [
    path("projects/<int:project_id>/cleaning-runs", apis.CleaningRunListCreateApi.as_view(), name="cleaning-runs"),
    path("cleaning-runs/<int:run_id>", apis.CleaningRunDetailApi.as_view(), name="cleaning-run"),
    path("cleaning-runs/<int:run_id>/revert", apis.CleaningRunRevertApi.as_view(), name="cleaning-run-revert"),
    path("cleaning-runs/<int:run_id>/cancel", apis.CleaningRunCancelApi.as_view(), name="cleaning-run-cancel"),
    path("cleaning-reverts/<int:revert_id>", apis.CleaningRevertDetailApi.as_view(), name="cleaning-revert"),
    path(
        "cleaning-reverts/<int:revert_id>/cancel", apis.CleaningRevertCancelApi.as_view(), name="cleaning-revert-cancel"
    ),
    path("cleaning-steps", apis.CleaningStepListApi.as_view(), name="cleaning-steps"),
]
