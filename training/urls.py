from django.urls import path

from training import apis, item_apis, serving_apis, suggestion_apis

urlpatterns: list = [
    path("versions/<int:version_id>/runs", apis.RunCreateApi.as_view(), name="version-runs"),
    path("projects/<int:project_id>/runs", apis.RunListApi.as_view(), name="project-runs"),
    path("runs/compare", apis.RunCompareApi.as_view(), name="runs-compare"),
    path("runs/<int:run_id>", apis.RunDetailApi.as_view(), name="run"),
    path("projects/<int:project_id>/loop", apis.ProjectLoopApi.as_view(), name="project-loop"),
    path("runs/<int:run_id>/cancel", apis.RunCancelApi.as_view(), name="run-cancel"),
    path("runs/<int:run_id>/retry", apis.RunRetryApi.as_view(), name="run-retry"),
    path("runs/<int:run_id>/predictions", apis.PredictionListApi.as_view(), name="run-predictions"),
    # Serving a finished run (training.serving_apis): predict texts, download the artifacts.
    path("runs/<int:run_id>/predict", serving_apis.RunPredictApi.as_view(), name="run-predict"),
    path("runs/<int:run_id>/artifact", serving_apis.RunArtifactApi.as_view(), name="run-artifact"),
    # A run's predictions of the unlabeled items (training.suggestion_apis).
    path("runs/<int:run_id>/suggestions", suggestion_apis.RunSuggestionsApi.as_view(), name="run-suggestions"),
    path("runs/<int:run_id>/suggestions/cancel", suggestion_apis.RunSuggestionsCancelApi.as_view(),
         name="run-suggestions-cancel"),
    # The item browser (training.item_apis: it reads annotation, cleaning and training).
    path("projects/<int:project_id>/items", item_apis.ItemListApi.as_view(), name="project-items"),
    path("projects/<int:project_id>/items/bulk", item_apis.ItemBulkApi.as_view(), name="project-items-bulk"),
    path("items/<int:item_id>", item_apis.ItemDetailApi.as_view(), name="item"),
]
