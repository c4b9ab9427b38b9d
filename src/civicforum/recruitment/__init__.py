"""Recruitment: from the council's address list to a confirmed panel (lottery, registration, selection)."""
