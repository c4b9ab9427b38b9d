"""Minimal placeholder settings; the foundation work replaces this file."""

from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "placeholder-not-for-production"
DEBUG = False
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
