from django.contrib.auth import views as auth_views
from django.urls import path

from certfed.members import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("org/users/", views.org_users, name="org-users"),
    path("org/users/<int:user_id>/change/", views.org_user_change, name="org-user-change"),
    path("org/audit/", views.org_audit, name="org-audit"),
    path("account/keys/", views.api_keys, name="api-keys"),
    path("account/keys/<int:key_id>/revoke/", views.api_key_revoke, name="api-key-revoke"),
]
