from django.urls import path

from civicforum.recruitment.views import public, registration, staff

app_name = "recruitment"

STAFF = "staff/forums/<slug:forum_slug>/recruitment/"
PUBLIC = "forums/<slug:forum_slug>/"

urlpatterns = [
    path(STAFF, staff.overview, name="overview"),
    path(STAFF + "settings/", staff.recruitment_settings, name="settings"),
    path(STAFF + "questions/", staff.questions, name="questions"),
    path(STAFF + "questions/<int:question_id>/remove/", staff.remove_question, name="remove_question"),
    path(STAFF + "questions/<int:question_id>/change/", staff.change_question, name="change_question"),
    path(
        STAFF + "questions/<int:question_id>/special-category/",
        staff.question_special_category,
        name="question_special_category",
    ),
    path(
        STAFF + "questions/<int:question_id>/to-give-again/email/",
        staff.answer_again_emails,
        name="answer_again_emails",
    ),
    path(
        STAFF + "questions/<int:question_id>/to-give-again/record/",
        staff.record_answer_again,
        name="record_answer_again",
    ),
    path(
        STAFF + "questions/<int:question_id>/to-give-again.csv",
        staff.answer_again_csv,
        name="answer_again_csv",
    ),
    path(STAFF + "addresses/", staff.upload_addresses, name="upload_addresses"),
    path(STAFF + "addresses/<int:list_id>/remove/", staff.remove_address_list, name="remove_address_list"),
    path(STAFF + "lottery/", staff.draw_lottery, name="draw_lottery"),
    path(STAFF + "lottery/<int:lottery_id>/", staff.lottery_detail, name="lottery"),
    path(STAFF + "lottery/<int:lottery_id>/<str:kind>", staff.lottery_file, name="lottery_file"),
    path(STAFF + "quotas/", staff.quota_settings, name="quotas"),
    path(STAFF + "selection/", staff.start_selection, name="start_selection"),
    path(STAFF + "selection/<int:run_id>/", staff.run_detail, name="run"),
    path(STAFF + "panel/", staff.panel, name="panel"),
    path(STAFF + "panel/<int:member_id>/status/", staff.member_status, name="member_status"),
    path(STAFF + "panel/<int:member_id>/decline/", staff.member_decline, name="member_decline"),
    path(STAFF + "panel/<int:member_id>/put-back/", staff.member_put_back, name="member_put_back"),
    path(STAFF + "panel/<int:member_id>/support/", staff.member_support, name="member_support"),
    path(STAFF + "panel/invite/", staff.invite_panel, name="invite_panel"),
    path(STAFF + "panel/invitations/<int:batch_id>/", staff.invitations, name="invitations"),
    path(
        STAFF + "panel/invitations/<int:batch_id>/reached/",
        staff.invitations_reached,
        name="invitations_reached",
    ),
    path(STAFF + "panel/letters.pdf", staff.panel_letters, name="panel_letters"),
    path(STAFF + "respondents/", staff.respondents, name="respondents"),
    path(
        STAFF + "respondents-contacts.csv",
        staff.respondents_csv,
        {"which": "contacts"},
        name="respondents_contacts_csv",
    ),
    path(
        STAFF + "respondents-answers.csv",
        staff.respondents_csv,
        {"which": "answers"},
        name="respondents_answers_csv",
    ),
    path(STAFF + "panel/support.csv", staff.respondents_csv, {"which": "panel"}, name="panel_csv"),
    path(STAFF + "respondents/<int:respondent_id>/withdraw/", staff.withdraw, name="withdraw"),
    path(STAFF + "respondents/<int:respondent_id>/details/", staff.correct_details, name="correct_details"),
    path(STAFF + "phone/", staff.phone_registration, name="phone_registration"),
    path(PUBLIC + "register/", registration.register_start, name="register_start"),
    path(PUBLIC + "register/privacy/", registration.privacy_notice, name="privacy"),
    path(PUBLIC + "register/check/", registration.register_check, name="register_check"),
    path(PUBLIC + "register/done/", registration.register_done, name="register_done"),
    path(PUBLIC + "register/withdraw/", public.withdraw_public, name="withdraw_public"),
    path(PUBLIC + "register/withdraw/done/", public.withdrawn, name="withdrawn"),
    path(
        PUBLIC + "register/answer-again/<slug:question_key>/",
        public.give_answer_again,
        name="answer_again",
    ),
    path(
        PUBLIC + "register/answer-again/<slug:question_key>/saved/",
        public.answer_given_again,
        name="answer_again_done",
    ),
    path(PUBLIC + "register/<str:step>/", registration.register_step, name="register_step"),
    path(PUBLIC + "panel/reply/", public.panel_reply, name="panel_reply"),
    path(PUBLIC + "panel/reply/received/", public.panel_replied, name="panel_replied"),
    path(PUBLIC + "selection-record/", public.selection_record, name="selection_record"),
    path(
        PUBLIC + "selection-record/distribution.json",
        public.selection_verification_file,
        {"filename": "distribution.json"},
        name="selection_distribution",
    ),
    path(
        PUBLIC + "selection-record/selected.csv",
        public.selection_verification_file,
        {"filename": "selected.csv"},
        name="selection_selected",
    ),
]
