from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from common.api.errors import json_error

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("projects.urls")),
    path("", include("ingestion.urls")),
    path("", include("cleaning.urls")),
    path("", include("annotation.urls")),
    path("", include("curation.urls")),
    path("", include("training.urls")),
    path("schema", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
]


@csrf_exempt  # an unknown POST path is a JSON 404, not Django's HTML CSRF page
def api_not_found(request, *args, **kwargs):
    return json_error(404, _("No API endpoint at %(path)s.") % {"path": request.path})


def spa(request, *args, **kwargs):
    """The browser app: every non-API path gets index.html; the app routes on the client."""
    index = settings.FRONTEND_DIST / "index.html"
    if not index.exists():
        return HttpResponse(
            "The browser app is not built yet: run `make frontend` (or `make run`, which builds it).",
            status=503,
            content_type="text/plain",
        )
    return FileResponse(index.open("rb"), content_type="text/html")


urlpatterns = [
    path("api/v1/", include(api_v1)),
    re_path(r"^api/", api_not_found),
    re_path(r"^(?!static/).*$", spa),
]


def handler500(request):
    if request.path.startswith("/api/"):
        return json_error(500, _("Something went wrong on our side; it has been logged."))
    return HttpResponse("Server error", status=500)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return json_error(404, _("Not found."))
    return HttpResponse("Not found", status=404)
