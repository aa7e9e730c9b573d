from django.contrib import admin
from django.urls import include, path

from certfed.platform.api import api

admin.site.site_header = "certfed administration (accounts and settings)"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("taxii2/", include("certfed.exchange.taxii21.urls")),
    path("feeds/misp/", include("certfed.exchange.misp.urls")),
    path("", include("certfed.members.urls")),
    path("", include("certfed.intel.urls")),
]
