"""TAXII 2.1 under /taxii2/: discovery, and "/taxii2/api/" as the one API root. The trailing
slash TAXII prescribes is optional here, so clients that drop it are not redirected."""

from django.urls import re_path

from certfed.exchange.taxii21 import views

_C = r"api/collections/(?P<collection_id>[^/]+)"
_O = _C + r"/objects/(?P<object_id>[^/]+)"

urlpatterns = [
    re_path(r"^$", views.discovery, name="taxii-discovery"),
    re_path(r"^api/?$", views.api_root, name="taxii-api-root"),
    re_path(r"^api/collections/?$", views.collections, name="taxii-collections"),
    re_path(rf"^{_C}/?$", views.collection, name="taxii-collection"),
    re_path(rf"^{_C}/objects/?$", views.objects, name="taxii-objects"),
    re_path(rf"^{_O}/?$", views.object_by_id, name="taxii-object"),
    re_path(rf"^{_O}/versions/?$", views.versions, name="taxii-object-versions"),
    re_path(rf"^{_C}/manifest/?$", views.manifest, name="taxii-manifest"),
    re_path(r"^api/status/(?P<status_id>[^/]+)/?$", views.status, name="taxii-status"),
]
