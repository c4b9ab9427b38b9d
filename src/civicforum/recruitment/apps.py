from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "civicforum.recruitment"
    label = "recruitment"
    verbose_name = "Recruitment and selection"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from civicforum.core import forum_contacts
        from civicforum.core.audit import DESCRIPTIONS, DETAILS, FIELD_LABELS, form_labels
        from civicforum.core.forum_links import ForumLink, register
        from civicforum.recruitment import checks  # noqa: F401  (registers the system check)
        from civicforum.recruitment.forms import (
            CorrectDetailsForm,
            QuestionWordingFields,
            RecruitmentSettingsForm,
        )
        from civicforum.recruitment.services.registration import has_registrations, is_open, phones_for
        from civicforum.recruitment.services.selection import has_public_record

        forum_contacts.register(phones_for)
        register(
            ForumLink(
                place="public",
                label="Register for the forum",
                url_name="recruitment:register_start",
                description="If your household received an invitation letter, sign up here with its code.",
                order=10,
                available=is_open,
            )
        )
        register(
            ForumLink(
                place="public",
                label="Withdraw your registration",
                url_name="recruitment:withdraw_public",
                description="If you no longer want to take part: your details are erased straight away.",
                order=15,
                available=has_registrations,
            )
        )
        register(
            ForumLink(
                place="public",
                label="How the panel was selected",
                url_name="recruitment:selection_record",
                description=(
                    "How the lottery chose the panel, the mix of people on it, and how to check the draw."
                ),
                stages=("selection", "deliberation", "recommendations", "council_response", "evaluation"),
                order=20,
                available=has_public_record,
            )
        )
        register(
            ForumLink(
                place="staff",
                label="Recruitment and selection",
                url_name="recruitment:overview",
                perm="recruitment.view_pool_dashboard",
                order=10,
            )
        )
        DESCRIPTIONS.update(
            {
                "recruitment.settings_changed": "Recruitment settings changed",
                "recruitment.addresses_imported": "Address list uploaded",
                "recruitment.addresses_removed": "Address list removed",
                "recruitment.lottery_drawn": "Addresses drawn for invitation letters",
                "recruitment.letters_requested": "Invitation letters requested",
                "recruitment.letters_generated": "Invitation letters made",
                "recruitment.letters_downloaded": "Letters downloaded",
                "recruitment.registered": "Someone registered online",
                "recruitment.registered_by_phone": "Someone registered by phone, through an officer",
                "recruitment.respondent_withdrawn": "A registration was withdrawn and erased",
                "recruitment.details_corrected": "A registration's name or contact details corrected",
                "recruitment.personal_data_viewed": "Personal data viewed or exported",
                "recruitment.personal_data_purged": "Registration data deleted (retention date)",
                "recruitment.support_needs_changed": "A member's support needs recorded by an officer",
                "recruitment.support_needs_given": "A member gave the support they need, replying online",
                "recruitment.quota_question_added": "Demographic question added",
                "recruitment.quota_question_removed": "Demographic question removed",
                "recruitment.quota_question_marked": "Question marked or unmarked as special category data",
                "recruitment.quota_question_changed": "Question wording changed",
                "recruitment.answer_given_again": (
                    "Someone gave again, with consent, an answer erased when its question was marked as "
                    "special category data"
                ),
                "recruitment.answer_again_emails": (
                    "People whose answers were erased when a question was marked emailed to give them again"
                ),
                "recruitment.population_shares_imported": "Population shares imported",
                "recruitment.quotas_proposed": "Quotas proposed from population shares",
                "recruitment.quotas_changed": "Quotas changed",
                "recruitment.selection_started": "Selection started",
                "recruitment.selection_finished": "Selection finished",
                "recruitment.selection_failed": "Selection could not finish",
                "recruitment.selection_committed": "Lottery worked out, waiting for its draw code",
                "recruitment.selection_drawn": "Panel drawn with the draw code",
                "recruitment.selection_set_aside": "Lottery set aside without drawing",
                "recruitment.selection_published": "Selection record published",
                "recruitment.panel_invited": "Panel members invited",
                "recruitment.panel_invitations_sent": "Panel invitations sent (letters written, emails sent)",
                "recruitment.panel_invitations_resent": "Panel invitations' unsent emails sent again",
                "recruitment.panel_invitations_failed": "Panel invitations stopped by an error",
                "recruitment.member_confirmed": "A panel member confirmed",
                "recruitment.member_declined": "A panel member declined",
                "recruitment.member_put_back": (
                    "A decline recorded by mistake was undone: the member is back on the panel"
                ),
                "recruitment.member_reached_another_way": (
                    "A panel member not emailed was told of their invitation another way"
                ),
            }
        )
        DETAILS.update(
            {
                "recruitment.settings_changed": "{fields}",
                "recruitment.details_corrected": "{fields}",
                "recruitment.addresses_imported": "{count:address|addresses}",
                "recruitment.addresses_removed": "{file}, {count:address|addresses}",
                "recruitment.lottery_drawn": "{letters:address|addresses}, seed {seed}",
                "recruitment.letters_generated": "{letters:letter|letters}",
                "recruitment.letters_downloaded": "{file}",
                "recruitment.personal_data_viewed": "{what}, {people:person|people}",
                "recruitment.personal_data_purged": (
                    "{respondents:registration|registrations}, {invitations:invitation|invitations} and "
                    "{addresses:address|addresses}"
                ),
                "recruitment.quota_question_changed": "{changed}",
                "recruitment.answer_given_again": "question {question}",
                "recruitment.answer_again_emails": "{emails:email|emails}",
                "recruitment.population_shares_imported": "{categories:category|categories}",
                "recruitment.quotas_proposed": "{categories:category|categories}",
                "recruitment.selection_started": "{algorithm} algorithm",
                "recruitment.selection_committed": "{lottery_size:,} possible panels",
                "recruitment.selection_drawn": "draw code {seed}",
                "recruitment.selection_finished": "{selected:,} selected, draw code {seed}",
                "recruitment.panel_invited": "{members:,} invited",
                "recruitment.panel_invitations_sent": (
                    "{emailed:,} emailed, {email_failed:email|emails} failed"
                ),
                "recruitment.panel_invitations_resent": "{emails:email|emails}",
                "recruitment.panel_invitations_failed": "{failure}",
                "recruitment.member_reached_another_way": "{how}",
                "recruitment.support_needs_given": "{given}",
            }
        )
        FIELD_LABELS["recruitment.quota_question_changed"] = {
            **form_labels(QuestionWordingFields),
            "answers": "Answers",
        }
        FIELD_LABELS["recruitment.details_corrected"] = form_labels(CorrectDetailsForm)
        FIELD_LABELS["recruitment.settings_changed"] = {
            **form_labels(RecruitmentSettingsForm),
            # Added to the form only when special category questions no quota uses would be kept.
            "keep_special_questions": "Keep special category questions no quota uses",
        }
