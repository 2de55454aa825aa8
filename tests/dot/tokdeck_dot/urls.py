from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider import urls as oauth2_urls

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    # RFC 8414 at the origin, with the issuer's path appended (DOT's recommendation for
    # a prefixed mount; see its docs/oauth2_server_metadata.rst).
    path("", include((oauth2_urls.metadata_urlpatterns, "oauth2_provider"), namespace="metadata")),
]
