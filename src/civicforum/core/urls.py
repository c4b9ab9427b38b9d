from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from civicforum.core import views
from civicforum.core.forms import LoginForm, SetPasswordGovUKForm

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("source/", views.source_code, name="source_code"),
    path(
        "accounts/login/",
        views.SignInView.as_view(
            template_name="core/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="core/set_password.html",
            form_class=SetPasswordGovUKForm,
            success_url=reverse_lazy("password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "accounts/set-password/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="core/set_password_done.html"),
        name="password_reset_complete",
    ),
]
