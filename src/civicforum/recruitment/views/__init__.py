"""Recruitment views: ``staff`` (officers), ``registration`` (the public form) and ``public``."""
