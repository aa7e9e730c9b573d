from django.urls import path
from django.views.generic import RedirectView

from certfed.intel import match, views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="event-list", permanent=False), name="home"),
    path("events/", views.event_list, name="event-list"),
    path("events/new/", views.event_create, name="event-create"),
    # Any string: a malformed uuid must answer the same 404 as an invisible event.
    path("events/<str:event_uuid>/", views.event_detail, name="event-detail"),
    path("events/<str:event_uuid>/edit/", views.event_edit, name="event-edit"),
    path("events/<str:event_uuid>/delete/", views.event_delete, name="event-delete"),
    path("indicators/", views.indicator_search, name="indicator-search"),
    # A plain view, not a ninja route: it streams the request body in and the answer out.
    # platform.urls tries the ninja API first; no API route matches this path.
    path("api/v1/match", match.match_view, name="api-match"),
]
