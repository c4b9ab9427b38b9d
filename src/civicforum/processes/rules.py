"""Forum permissions (autodiscovered by ``rules``)."""

import rules

from civicforum.core.roles import (
    can_create_forum_in,
    can_manage_forum,
    is_council_admin,
    is_facilitator,
    is_forum_staff,
    is_published,
    is_staff_anywhere,
)

rules.add_perm("processes.view_forum", is_published | is_forum_staff)
rules.add_perm("processes.view_forum_staff_area", is_forum_staff)
rules.add_perm("processes.change_forum", can_manage_forum)
rules.add_perm("processes.manage_forum_roles", can_manage_forum)
# Data minimisation: who sees the names of residents on a forum (other staff see how many there are).
rules.add_perm("processes.see_panel_member_names", can_manage_forum | is_facilitator)
rules.add_perm("processes.see_participant_names", can_manage_forum)
rules.add_perm("processes.create_accounts", is_council_admin)
rules.add_perm("processes.create_forum_in_council", can_create_forum_in)
rules.add_perm("processes.use_dashboard", is_staff_anywhere)
