from django.urls import path

from civicforum.processes import views

app_name = "processes"

urlpatterns = [
    path("", views.home, name="home"),
    path("forums/<slug:forum_slug>/", views.forum_detail, name="forum"),
    path("staff/", views.dashboard, name="dashboard"),
    path("staff/forums/new/", views.forum_create, name="forum_create"),
    path("staff/forums/<slug:forum_slug>/", views.forum_staff, name="forum_staff"),
    path("staff/forums/<slug:forum_slug>/edit/", views.forum_edit, name="forum_edit"),
    path("staff/forums/<slug:forum_slug>/audit-log/", views.audit_log, name="audit_log"),
    path("staff/forums/<slug:forum_slug>/audit-log.csv", views.audit_log_csv, name="audit_log_csv"),
    path("staff/forums/<slug:forum_slug>/people/", views.forum_people, name="forum_people"),
    path(
        "staff/forums/<slug:forum_slug>/people/new/", views.forum_account_create, name="forum_account_create"
    ),
    path(
        "staff/forums/<slug:forum_slug>/people/<int:role_id>/remove/",
        views.forum_role_remove,
        name="forum_role_remove",
    ),
    path(
        "staff/forums/<slug:forum_slug>/people/accounts/<int:user_id>/new-link/",
        views.forum_set_password_link,
        name="forum_set_password_link",
    ),
    path("staff/forums/<slug:forum_slug>/stages/<slug:kind>/", views.stage_edit, name="stage_edit"),
]
