"""Health check, security headers, error pages, settings from the environment, logging."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError
from django.test import RequestFactory

from civicforum.core import views
from civicforum.core.logging import KeyValueFormatter


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_is_reachable(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_healthz_answers_503_when_the_database_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_cursor() -> None:
        raise DatabaseError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken_cursor)
    response = views.healthz(RequestFactory().get("/healthz"))
    assert response.status_code == 503


@pytest.mark.django_db
def test_security_headers_on_pages(client: Any) -> None:
    response = client.get("/", secure=True)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert int(response["Strict-Transport-Security"].split("max-age=")[1].split(";")[0]) >= 31536000


@pytest.mark.django_db
def test_session_cookie_is_secure_and_http_only_by_default(client: Any) -> None:
    from tests.factories import make_user

    make_user(username="alice", password="a-long-password-123")
    response = client.post("/accounts/login/", {"username": "alice", "password": "a-long-password-123"})
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] and cookie["httponly"]


def test_server_error_page_renders_without_a_request_context() -> None:
    response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()


def _settings_in_subprocess(env: dict[str, str], expression: str) -> str:
    code = f"import django, os; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "civicforum.settings", "PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_settings_come_from_the_environment(tmp_path: Any) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        "TASKS_BACKEND": "database",
        "ALLOWED_HOSTS": "forum.example.gov.uk",
        "DEBUG": "0",
    }
    out = _settings_in_subprocess(
        env,
        "settings.TASKS['default']['BACKEND'], settings.ALLOWED_HOSTS, settings.DEBUG, "
        "settings.DATABASES['default']['NAME']",
    )
    assert out == f"django_tasks_db.DatabaseBackend ['forum.example.gov.uk'] False {tmp_path}/x.sqlite3"
    default = _settings_in_subprocess(
        {"DATABASE_URL": env["DATABASE_URL"]}, "settings.TASKS['default']['BACKEND']"
    )
    assert default == "django_tasks.backends.immediate.ImmediateBackend"


def test_require_secret_key_reads_its_value_as_a_flag_like_the_other_settings(tmp_path: Any) -> None:
    """Set to '0' (off, as DEBUG=0 is), it refused to start without SECRET_KEY all the same."""
    env = {"CIVICFORUM_VAR_DIR": str(tmp_path)}
    off = _settings_in_subprocess({**env, "CIVICFORUM_REQUIRE_SECRET_KEY": "0"}, "settings.DEBUG")
    assert off == "False"
    with pytest.raises(subprocess.CalledProcessError) as refused:
        _settings_in_subprocess({**env, "CIVICFORUM_REQUIRE_SECRET_KEY": "1"}, "settings.DEBUG")
    assert "SECRET_KEY must be set in production" in refused.value.stderr


def test_sqlite_runs_in_wal_mode(tmp_path: Any) -> None:
    code = (
        "import django; django.setup(); from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "civicforum.settings", "CIVICFORUM_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "wal"


def test_log_lines_are_key_value_pairs() -> None:
    record = logging.LogRecord("civicforum.test", logging.INFO, __file__, 1, 'saved "%s"', ("forum",), None)
    record.forum_id = 7
    line = KeyValueFormatter().format(record)
    assert "level=info logger=civicforum.test" in line
    assert 'msg="saved \\"forum\\""' in line
    assert line.endswith("forum_id=7")


def test_the_request_log_line_does_not_keep_a_letters_registration_code(caplog: Any) -> None:
    from django.core.servers.basehttp import WSGIRequestHandler

    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)  # only its logging, without a connection
    handler.request = None
    logger = logging.getLogger("django.server")
    logger.addHandler(caplog.handler)  # 'django.server' does not propagate to caplog's
    try:
        handler.log_message(
            '"%s" %s %s', "GET /forums/f/register/?lang=cy&code=ABC12-DEF34 HTTP/1.1", "302", "0"
        )
    finally:
        logger.removeHandler(caplog.handler)
    line = KeyValueFormatter().format(caplog.records[-1])
    assert "ABC12" not in line
    assert "/forums/f/register/?lang=cy&code=[redacted] HTTP/1.1" in line and "status_code=302" in line


@pytest.mark.django_db
def test_the_phase_banner_links_to_the_councils_feedback_address_only_when_there_is_one(
    client: Any, settings: Any
) -> None:
    settings.CIVICFORUM_FEEDBACK_URL = ""
    page = client.get("/").content.decode()
    assert "This is a new service." in page and "give your feedback" not in page
    settings.CIVICFORUM_FEEDBACK_URL = "mailto:forums@northam.gov.uk"
    page = client.get("/").content.decode()
    assert '<a class="govuk-link" href="mailto:forums@northam.gov.uk">give your feedback</a>' in page


@pytest.mark.django_db
def test_the_accessibility_statement_says_how_to_ask_for_another_format_and_where_to_complain(
    client: Any, settings: Any
) -> None:
    """The accessibility regulations ask for both; without them a resident has nowhere to turn."""
    settings.CIVICFORUM_FEEDBACK_URL = ""
    page = client.get("/accessibility/").content.decode()
    assert "large print, easy read, an audio recording or braille" in page
    assert "Call the phone number on your letter." in page
    assert "Equality Advisory and Support Service" in page
    settings.CIVICFORUM_FEEDBACK_URL = "https://northam.gov.uk/contact"
    page = client.get("/accessibility/").content.decode()
    assert '<a class="govuk-link" href="https://northam.gov.uk/contact">tell the council</a>' in page


def test_with_https_redirects_on_the_health_check_still_answers_over_plain_http(
    client: Any, settings: Any, db: Any
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    health = client.get("/healthz")
    assert (health.status_code, health.content.strip()) == (200, b"ok")


def test_check_deploy_warns_while_background_tasks_would_run_inside_web_requests(tmp_path: Any) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "CIVICFORUM_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "a-long-production-secret-key-" + "x" * 40,
        "FIELD_ENCRYPTION_KEYS": "a-long-field-key-" + "y" * 40,
    }
    civicforum = str(Path(sys.executable).with_name("civicforum"))

    def check(**extra: str) -> str:
        command = [civicforum, "check", "--deploy"]
        result = subprocess.run(command, env={**env, **extra}, capture_output=True, text=True)
        return result.stdout + result.stderr

    assert "(recruitment.W001) Background tasks run inside the web request" in check()
    assert "recruitment.W001" not in check(TASKS_BACKEND="database")


SETTINGS_FILE = Path(__file__).resolve().parents[2] / "src" / "civicforum" / "settings.py"
README = SETTINGS_FILE.parents[2] / "README.md"


def test_the_readme_documents_every_environment_variable_the_settings_read() -> None:
    read = set(re.findall(r'(?:environ\.get|env_flag|env_list)\(\s*"([A-Z_]+)"', SETTINGS_FILE.read_text()))
    production = README.read_text().split("## Running it in production")[1].split("\n## ")[0]
    assert len(read) > 20
    assert sorted(name for name in read if f"`{name}`" not in production) == []


@pytest.mark.django_db
def test_the_accessibility_statement_names_whom_to_contact_and_the_enforcement_procedure(
    client: Any, settings: Any
) -> None:
    """The statement said only 'the council' and 'the phone number on your letter': someone who had
    no letter, or lost it, had no one to ask. It now names each forum's council and number, sends
    residents to the council's website where no number is set, tells staff where to set one, and gives
    the enforcement procedure in the words of GOV.UK's model statement (EHRC, EASS and, in Northern
    Ireland, ECNI)."""
    from tests.factories import make_council, make_forum, make_user_with_role

    from civicforum.recruitment.models import RecruitmentSettings

    settings.CIVICFORUM_FEEDBACK_URL = ""
    council = make_council(website="https://www.northam.gov.uk/")
    phoned = make_forum(council, title="Town centres forum")
    unset = make_forum(council, title="Parks forum")
    RecruitmentSettings.objects.create(forum=phoned, phone="01632 960 123")
    page = client.get("/accessibility/").content.decode()
    assert f"This website is run by {council.name} using CivicForum" in page
    assert f"<li>about Town centres forum ({council.name}), call 01632 960 123</li>" in page
    assert (
        "For any other forum, call the phone number on your letter, or contact "
        f'{council.name} through <a class="govuk-link" href="https://www.northam.gov.uk/">its website</a>'
    ) in page
    assert "For staff" not in page
    assert "Enforcement procedure</h2>" in page
    assert (
        "In England, Scotland and Wales, the Equality and Human Rights Commission (EHRC) is responsible for "
        "enforcing"
    ) in page
    assert "Equality Commission for Northern Ireland (ECNI)</a>, who are responsible for enforcing" in page
    client.force_login(make_user_with_role("officer", unset))
    staff_view = client.get("/accessibility/").content.decode()
    assert (
        "For staff: residents reading this statement are given no phone number for Parks forum." in staff_view
    )


@pytest.mark.django_db
def test_every_page_links_to_the_source_code_it_runs(client: Any, settings: Any) -> None:
    """CivicForum is AGPL-licensed, and its section 13 asks that people using it over a network can get
    its source: the footer links to an archive of the running package, with what builds and installs it,
    or to the council's own repository when one is set."""
    import io
    import tarfile

    from civicforum.core import source

    page = client.get("/").content.decode()
    assert '<a class="govuk-footer__link" href="/source/">Get the source code</a>' in page
    response = client.get("/source/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="civicforum-')
    with tarfile.open(fileobj=io.BytesIO(response.content)) as tar:
        names = tar.getnames()
        licence = tar.extractfile(next(name for name in names if name.endswith("/LICENSE"))).read()
    assert b"GNU AFFERO GENERAL PUBLIC LICENSE" in licence
    assert any(name.endswith("/src/civicforum/core/source.py") for name in names)
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".sqlite3"))]
    source.source_archive.cache_clear()
    assert source.source_archive() == response.content  # the same code gives the same bytes
    settings.CIVICFORUM_SOURCE_URL = "https://example.org/council/civicforum"
    page = client.get("/").content.decode()
    assert 'href="https://example.org/council/civicforum">Get the source code</a>' in page


@pytest.mark.parametrize("argv", [["--help"], ["help"], []])
def test_civicforum_help_lists_the_engine_subcommands(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Django's help lists only its management commands, so 'civicforum --help' never mentioned
    select, selection verify, opinions or tables, which README sends officers to."""
    from civicforum import cli

    assert cli.main(argv) == 0
    listed = capsys.readouterr().out
    for engine in ("select ", "selection verify ", "opinions ", "tables "):
        assert f"\n    {engine}" in listed
    assert "\n    migrate\n" in listed


def test_civicforum_help_on_an_engine_shows_that_engine_s_options(capsys: pytest.CaptureFixture[str]) -> None:
    from civicforum import cli

    assert cli.main(["help", "tables"]) == 0
    assert capsys.readouterr().out.startswith("usage: civicforum tables")


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("", False),
        ("https://forum.northam.gov.uk", False),
        ("https://forum.northam.gov.uk/", False),
        ("forum.northam.gov.uk", True),
        ("https://northam.gov.uk/forum", True),  # a prefix would be printed twice: reverse() adds it
        ("ftp://forum.northam.gov.uk", True),
    ],
)
def test_the_public_address_letters_print_is_checked_at_start_up(settings, value, refused) -> None:
    from civicforum.core.addresses import public_url_is_an_address

    settings.CIVICFORUM_PUBLIC_URL = value
    assert [error.id for error in public_url_is_an_address(None)] == (["core.E001"] if refused else [])


STATEMENT_SECTIONS = (
    "How accessible this website is",
    "Feedback and contact information",
    "Reporting accessibility problems with this website",
    "Enforcement procedure",
    "Technical information about this website’s accessibility",
    "What we do to test this website",
    "Preparation of this accessibility statement",
)


@pytest.mark.django_db
def test_the_accessibility_statement_claims_no_compliance_the_council_has_not_stated(client: Any) -> None:
    """The regulations ask for a compliance status, but only the council can give one after testing the
    site: until it does, the statement says so, and staff are told which settings give it."""
    from tests.factories import make_forum, make_user_with_role

    page = client.get("/accessibility/").content.decode()
    for section in STATEMENT_SECTIONS:
        assert f"{section}</h2>" in page
    assert "Compliance status</h3>" in page
    assert "The council has not yet tested this website against" in page
    assert "fully compliant" not in page and "partially compliant" not in page
    assert "checked against WCAG 2.2 A and AA with the axe-core testing tool" in page
    assert "registering for a forum is tested using only a keyboard" in page
    assert "The council has not yet given the date this statement was prepared." in page
    assert "For staff" not in page
    client.force_login(make_user_with_role("officer", make_forum()))
    staff_view = client.get("/accessibility/").content.decode()
    assert (
        "ask whoever runs it to set <code>CIVICFORUM_ACCESSIBILITY_STATUS</code>, "
        "<code>CIVICFORUM_ACCESSIBILITY_TESTED</code> and <code>CIVICFORUM_ACCESSIBILITY_PREPARED</code>"
    ) in staff_view


@pytest.mark.django_db
def test_the_accessibility_statement_gives_the_status_and_dates_the_council_set(
    client: Any, settings: Any
) -> None:
    settings.CIVICFORUM_ACCESSIBILITY_STATUS = "Full"
    settings.CIVICFORUM_ACCESSIBILITY_TESTED = "2027-02-14"
    settings.CIVICFORUM_ACCESSIBILITY_PREPARED = "2027-03-01"
    page = client.get("/accessibility/").content.decode()
    assert "This website is fully compliant with the" in page
    assert "The council last tested this website on 14 February 2027." in page
    assert "This statement was prepared on 1 March 2027." in page
    assert "has not yet" not in page


@pytest.mark.django_db
def test_the_accessibility_statement_says_partially_compliant_only_with_the_problems_listed(
    client: Any, settings: Any
) -> None:
    settings.CIVICFORUM_ACCESSIBILITY_STATUS = "partial"
    settings.CIVICFORUM_ACCESSIBILITY_PROBLEMS = []
    page = client.get("/accessibility/").content.decode()
    assert "partially compliant" not in page and "The council has not yet tested this website" in page
    settings.CIVICFORUM_ACCESSIBILITY_PROBLEMS = ["The map of wards has no text alternative (WCAG 1.1.1)."]
    page = client.get("/accessibility/").content.decode()
    assert "This website is partially compliant with the" in page
    assert "Content that is not accessible</h2>" in page
    assert page.count("<li>The map of wards has no text alternative (WCAG 1.1.1).</li>") == 2


@pytest.mark.django_db
def test_accessibility_settings_given_but_not_understood_are_named_to_staff_and_by_the_system_check(
    client: Any, settings: Any
) -> None:
    """A date typed '14/02/2027' or a status 'fully' read as unset, and staff were only asked to set them:
    the statement now names each setting that was given but not understood, and so does 'civicforum check'."""
    from tests.factories import make_forum, make_user_with_role

    from civicforum.core.accessibility import statement_settings_understood

    assert statement_settings_understood(None) == []
    settings.CIVICFORUM_ACCESSIBILITY_STATUS = "fully"
    settings.CIVICFORUM_ACCESSIBILITY_TESTED = "14/02/2027"
    settings.CIVICFORUM_ACCESSIBILITY_PREPARED = "2027-03-01"
    warnings = statement_settings_understood(None)
    assert [warning.id for warning in warnings] == ["core.W001", "core.W001"]
    assert (
        warnings[0].msg
        == "CIVICFORUM_ACCESSIBILITY_STATUS is 'fully', which is neither 'full' nor 'partial'."
    )
    assert warnings[1].msg == (
        "CIVICFORUM_ACCESSIBILITY_TESTED is '14/02/2027', "
        "which is not a date written YYYY-MM-DD, such as 2027-02-14."
    )
    page = client.get("/accessibility/").content.decode()
    assert "The council has not yet tested this website against" in page
    assert "This statement was prepared on 1 March 2027." in page
    assert "For staff" not in page
    client.force_login(make_user_with_role("officer", make_forum()))
    staff_view = client.get("/accessibility/").content.decode()
    assert "For staff: CIVICFORUM_ACCESSIBILITY_STATUS is &#x27;fully&#x27;, which is neither" in staff_view
    assert (
        "For staff: CIVICFORUM_ACCESSIBILITY_TESTED is &#x27;14/02/2027&#x27;, which is not a date"
        in staff_view
    )
    settings.CIVICFORUM_ACCESSIBILITY_STATUS = "partial"
    settings.CIVICFORUM_ACCESSIBILITY_PROBLEMS = []
    settings.CIVICFORUM_ACCESSIBILITY_TESTED = "2027-02-14"
    assert [warning.msg for warning in statement_settings_understood(None)] == [
        "CIVICFORUM_ACCESSIBILITY_STATUS is 'partial' but CIVICFORUM_ACCESSIBILITY_PROBLEMS lists no "
        "problem: a partially compliant statement must list them, separated by '|'."
    ]
