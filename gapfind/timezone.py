"""The campus time zone (the TIMEZONE setting), resolved once when the app is built.

Timetable hours are campus wall-clock hours; the calendar features convert to and from them.
zoneinfo finds the zone in the system's database or, on hosts without one, in the tzdata
package that requirements.txt ships.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app

_EXTENSION_KEY = "gapfind.timezone"


def load_zone(name: str) -> ZoneInfo:
    """The zone named by the TIMEZONE setting; a bad name stops start-up, naming the setting."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"TIMEZONE={name!r} is not an IANA time zone name such as 'America/Bogota'"
        ) from error


def init_timezone(app: Flask) -> None:
    """Check TIMEZONE at start-up and keep the resolved zone for the request handlers."""
    app.extensions[_EXTENSION_KEY] = load_zone(app.config["TIMEZONE"])


def campus_zone() -> ZoneInfo:
    """The current app's campus time zone."""
    zone: ZoneInfo = current_app.extensions[_EXTENSION_KEY]
    return zone
