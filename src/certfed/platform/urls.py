from django.contrib import admin
from django.urls import include, path

from certfed.platform.api import api

admin.site.site_header = "certfed administration (accounts and settings)"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("certfed.members.urls")),
    path("", include("certfed.intel.urls")),
]
