from django.urls import path

from civicforum.recruitment import views

app_name = "recruitment"

STAFF = "staff/forums/<slug:forum_slug>/recruitment/"
PUBLIC = "forums/<slug:forum_slug>/"

urlpatterns = [
    path(STAFF, views.overview, name="overview"),
    path(STAFF + "addresses/", views.upload_addresses, name="upload_addresses"),
    path(STAFF + "lottery/", views.draw_lottery, name="draw_lottery"),
    path(STAFF + "lottery/<int:lottery_id>/", views.lottery_detail, name="lottery"),
    path(STAFF + "lottery/<int:lottery_id>/<str:kind>", views.lottery_file, name="lottery_file"),
    path(STAFF + "quotas/", views.quota_settings, name="quotas"),
    path(STAFF + "selection/", views.start_selection, name="start_selection"),
    path(STAFF + "selection/<int:run_id>/", views.run_detail, name="run"),
    path(STAFF + "panel/", views.panel, name="panel"),
    path(STAFF + "panel/<int:member_id>/status/", views.member_status, name="member_status"),
    path(STAFF + "panel/invite/", views.invite_panel, name="invite_panel"),
    path(STAFF + "panel/letters.pdf", views.panel_letters, name="panel_letters"),
    path(STAFF + "respondents/", views.respondents, name="respondents"),
    path(STAFF + "respondents.csv", views.respondents_csv, name="respondents_csv"),
    path(STAFF + "respondents/<int:respondent_id>/withdraw/", views.withdraw, name="withdraw"),
    path(STAFF + "phone/", views.phone_registration, name="phone_registration"),
    path(PUBLIC + "register/", views.register_start, name="register_start"),
    path(PUBLIC + "register/privacy/", views.privacy_notice, name="privacy"),
    path(PUBLIC + "register/check/", views.register_check, name="register_check"),
    path(PUBLIC + "register/done/", views.register_done, name="register_done"),
    path(PUBLIC + "register/withdraw/", views.withdraw_public, name="withdraw_public"),
    path(PUBLIC + "register/<str:step>/", views.register_step, name="register_step"),
    path(PUBLIC + "panel/reply/", views.panel_reply, name="panel_reply"),
    path(PUBLIC + "selection-record/", views.selection_record, name="selection_record"),
    path(
        PUBLIC + "selection-record/verification.zip",
        views.selection_verification_zip,
        name="selection_verification",
    ),
]
