from django.urls import path

from ingestion import apis

urlpatterns: list = [
    path("projects/<int:project_id>/imports", apis.ImportListCreateApi.as_view(), name="import-list-create"),
    path("imports/<int:import_id>", apis.ImportDetailApi.as_view(), name="import-detail"),
    path("imports/<int:import_id>/retry", apis.ImportRetryApi.as_view(), name="import-retry"),
    path("imports/<int:import_id>/cancel", apis.ImportCancelApi.as_view(), name="import-cancel"),
]
