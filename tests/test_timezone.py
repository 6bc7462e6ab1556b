from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from gapfind import create_app
from gapfind.timezone import campus_zone


def test_default_campus_zone_is_bogota() -> None:
    app = create_app({"DATABASE_URL": "sqlite://"})
    with app.app_context():
        assert campus_zone() == ZoneInfo("America/Bogota")


def test_configured_zone_is_used() -> None:
    app = create_app({"DATABASE_URL": "sqlite://", "TIMEZONE": "Europe/Madrid"})
    with app.app_context():
        assert campus_zone() == ZoneInfo("Europe/Madrid")


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "America/Bogota "])
def test_unknown_zone_stops_start_up_naming_the_setting(name: str) -> None:
    with pytest.raises(ValueError, match="TIMEZONE"):
        create_app({"DATABASE_URL": "sqlite://", "TIMEZONE": name})
