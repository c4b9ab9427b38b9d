"""CivicForum: run an Area Democracy Forum from civic lottery to council response."""

__version__ = "0.1.0"
