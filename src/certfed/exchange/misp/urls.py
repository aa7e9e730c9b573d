"""/feeds/misp/: one MISP feed per collection, with the same collection ids as TAXII."""

from django.urls import path, re_path

from certfed.exchange.misp import views

# MISP appends "/manifest.json" to the feed URL it was given, so a URL configured with a
# trailing slash arrives with two: accept any run of slashes before the file name.
urlpatterns = [
    path("", views.index, name="misp-feeds"),
    path("<str:collection_id>/", views.collection_root, name="misp-feed"),
    re_path(
        r"^(?P<collection_id>[^/]+)/+manifest\.json$", views.manifest, name="misp-feed-manifest"
    ),  # fmt: skip
    re_path(r"^(?P<collection_id>[^/]+)/+hashes\.csv$", views.hashes, name="misp-feed-hashes"),
    re_path(
        r"^(?P<collection_id>[^/]+)/+(?P<event_uuid>[^/]+)\.json$",
        views.event,
        name="misp-feed-event",
    ),  # fmt: skip
]
