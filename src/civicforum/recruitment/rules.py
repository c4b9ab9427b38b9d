"""Recruitment permissions (autodiscovered by ``rules``): personal data is for forum officers only."""

import rules

from civicforum.core.roles import can_manage_forum, is_evaluator, is_published

rules.add_perm("recruitment.manage", can_manage_forum)
rules.add_perm("recruitment.view_personal_data", can_manage_forum)
rules.add_perm("recruitment.view_pool_dashboard", can_manage_forum | is_evaluator)
rules.add_perm("recruitment.register", is_published)
