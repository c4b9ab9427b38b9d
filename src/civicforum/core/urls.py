from django.contrib.auth import views as auth_views
from django.urls import path

from civicforum.core import views
from civicforum.core.forms import LoginForm

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
