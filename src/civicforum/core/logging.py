"""Structured log lines: ``ts=... level=... logger=... msg="..."`` for grep and log shippers."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

_SCALARS = (str, int, float, bool)
_STANDARD_ATTRS = (
    {"server_time"} | set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
)

# A letter's registration code in a URL's query string (``/register/?code=...``): a household's key to
# register, which logs must not keep.
_CODE_IN_QUERY = re.compile(r"([?&;]code=)[^&;#\s\"\\]*")


def _quote(value: object) -> str:
    text = str(value)
    if text and not any(ch in text for ch in ' "=\n'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


class KeyValueFormatter(logging.Formatter):
    """One line per record; extra attributes passed with ``extra={...}`` become more key=value pairs.
    A registration code in a logged URL is written as ``code=[redacted]``."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update(
            {
                key: value
                for key, value in record.__dict__.items()
                if key not in _STANDARD_ATTRS and isinstance(value, _SCALARS)
            }
        )
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        line = " ".join(f"{key}={_quote(value)}" for key, value in fields.items())
        return _CODE_IN_QUERY.sub(r"\1[redacted]", line)
