from django.urls import include, path

urlpatterns: list = [
    path("", include("annotation.quality_urls")),
]
