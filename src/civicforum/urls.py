"""URL map: one ``include()`` per app; add your app's line here."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("civicforum.core.urls")),
    path("", include("civicforum.processes.urls")),
    path("", include("civicforum.recruitment.urls")),
]

handler400 = "civicforum.core.views.bad_request"
handler403 = "civicforum.core.views.permission_denied"
handler404 = "civicforum.core.views.page_not_found"
handler500 = "civicforum.core.views.server_error"
