"""The workloads (HTTP contract, CPU-ratio target, answer check, wrk script) and the floor."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench import data, load, verify
from bench.client import ClientPool, Request, send_expect

JSON = "application/json"
FLOOR = "floor"
NAME_PLACEHOLDER = "NAMEPLACEHOLDER"
#: W4 names: "w" + letters(counter) from Python, "x" + letters(counter) from wrk.
W4_PREFIX_PYTHON = "w"
W4_PREFIX_WRK = "x"
#: W10 names: "v" + letters(counter) from Python, "y" + letters(counter) from wrk.
W10_PREFIX_PYTHON = "v"
W10_PREFIX_WRK = "y"


FLOOR_LABEL = "floor app: POST / -> constant 2 KB JSON"
#: The TIMEZONE GapFind runs with in the benchmark (its default): W9's answers depend on it.
CAMPUS_ZONE = "America/Bogota"


@dataclass
class Workload:
    """One kind of request: how to make it, what status it gets, how to check its answer once
    (``check(port)``) and the wrk script that generates it (``wrk_script(workdir)``). Every
    request, the check's and wrk's included, comes from the next address of the client pool."""

    key: str
    label: str
    target_ratio: float | None
    status: int
    next_request: Callable[[], Request]
    check: Callable[[int], None]
    wrk_script: Callable[[Path], str]


def _static(
    request: Request, pool: ClientPool
) -> tuple[Callable[[], Request], Callable[[Path], str]]:
    def next_request() -> Request:
        return pool.stamp(request)

    def script(workdir: Path) -> str:
        return load.lua_static(workdir, request, pool.addresses)

    return next_request, script


def _results(
    key: str,
    label: str,
    target: float,
    ds: data.Dataset,
    pool: ClientPool,
    n: int,
    options: Mapping[str, bool],
) -> Workload:
    names = list(ds.users[:n])
    request = Request("POST", "/results", data.json_body({"usernames": names, **options}), JSON)
    next_request, script = _static(request, pool)

    def check(port: int) -> None:
        payload = send_expect(port, next_request(), 200).json()
        verify.check_results(
            f"{key} {request.describe()}", payload, ds.schedules_of(names), options
        )

    return Workload(key, label, target, 200, next_request, check, script)


def _analyze(
    key: str,
    label: str,
    target: float,
    ds: data.Dataset,
    pool: ClientPool,
    names: Sequence[str],
    request: Request,
) -> Workload:
    next_request, script = _static(request, pool)

    def check(port: int) -> None:
        payload = send_expect(port, next_request(), 200).json()
        verify.check_analyze(f"{key} {request.describe()}", payload, ds.schedules_of(names))

    return Workload(key, label, target, 200, next_request, check, script)


def _manual(ds: data.Dataset, pool: ClientPool) -> Workload:
    schedule = ds.schedules[ds.users[0]]
    counter = itertools.count()

    def request_for(name: str) -> Request:
        body = data.manual_body(name, schedule)
        return Request("POST", "/manual", body, JSON, pool.next_address())

    def next_request() -> Request:
        return request_for(data.username(next(counter), W4_PREFIX_PYTHON))

    def check(port: int) -> None:
        name = data.username(next(counter), W4_PREFIX_PYTHON)
        send_expect(port, request_for(name), 201)
        get = pool.stamp(Request("GET", f"/users/{quote(name)}"))
        user = send_expect(port, get, 200).json()
        verify.check_user(f"W4 then GET /users/{name}", user, name, schedule)

    def script(workdir: Path) -> str:
        template = data.manual_body(NAME_PLACEHOLDER, schedule)
        prefix, suffix = template.split(NAME_PLACEHOLDER.encode())
        return load.lua_unique_post(
            workdir, "/manual", prefix, suffix, JSON, W4_PREFIX_WRK, pool.addresses
        )

    label = "POST /manual, a new user each time"
    return Workload("W4", label, 3.5, 201, next_request, check, script)


def _users(ds: data.Dataset, pool: ClientPool) -> Workload:
    paths = [f"/users/{quote(name)}" for name in ds.users]
    cycle = itertools.cycle(paths)

    def next_request() -> Request:
        return Request("GET", next(cycle), client_ip=pool.next_address())

    def script(workdir: Path) -> str:
        return load.lua_cycle_get(workdir, paths, pool.addresses)

    def check(port: int) -> None:
        name = ds.users[0]
        user = send_expect(port, pool.stamp(Request("GET", paths[0])), 200).json()
        verify.check_user(f"W5 GET {paths[0]}", user, name, ds.schedules[name])

    label = f"GET /users/<name>, {len(paths)} users in turn"
    return Workload("W5", label, 2.5, 200, next_request, check, script)


#: W7's group and options. Without class-free days counting, no 2-hour block of the data set has
#: 25 of the first 30 users (the answer would be empty); with them it has 24, most with names
#: missing, which is the answer a client renders.
W7_USERS = 30
W7_OPTIONS = {"duration": 2, "quorum": 25, "no_classes_day": True, "ignore_weekend": False}
#: W8: a block's calendar_url plus a title that needs escaping; from/until default (today).
W8_PATH = (
    "/calendar.ics?day_index=6&start_hour_index=0&duration=2"
    "&title=Grupo%20de%20estudio%2C%20c%C3%A1lculo%3B%20sala%202"
)


def _blocks(ds: data.Dataset, pool: ClientPool) -> Workload:
    """W7: POST /blocks, meeting blocks of two hours with a quorum."""
    names = list(ds.users[:W7_USERS])
    body = data.json_body({"usernames": names, **W7_OPTIONS})
    request = Request("POST", "/blocks", body, JSON)
    next_request, script = _static(request, pool)

    def check(port: int) -> None:
        payload = send_expect(port, next_request(), 200).json()
        what = f"W7 {request.describe()}"
        verify.check_blocks(what, payload, names, ds.schedules_of(names), W7_OPTIONS)

    label = f"POST /blocks, {W7_USERS} users, 2 h, quorum 25"
    return Workload("W7", label, 3.0, 200, next_request, check, script)


def _calendar(pool: ClientPool) -> Workload:
    """W8: GET /calendar.ics, a block's weekly event."""
    request = Request("GET", W8_PATH)
    next_request, script = _static(request, pool)

    def check(port: int) -> None:
        response = send_expect(port, next_request(), 200)
        verify.check_calendar(f"W8 {request.describe()}", response, W8_PATH)

    label = "GET /calendar.ics, a block's weekly event"
    return Workload("W8", label, 3.0, 200, next_request, check, script)


def _calendar_preview(pool: ClientPool) -> Workload:
    """W9: POST /ics/preview of a 16-week semester exported from Google Calendar."""
    calendar = data.semester_calendar()
    body, content_type = data.multipart_calendar(calendar)
    request = Request("POST", "/ics/preview", body, content_type)
    next_request, script = _static(request, pool)

    def check(port: int) -> None:
        payload = send_expect(port, next_request(), 200).json()
        verify.check_calendar_preview(f"W9 {request.describe()}", payload, calendar, CAMPUS_ZONE)

    label = (
        f"POST /ics/preview, {data.SEMESTER_CLASSES} weekly classes x "
        f"{data.SEMESTER_WEEKS} weeks (.ics)"
    )
    return Workload("W9", label, 100.0, 200, next_request, check, script)


def _register_calendar(pool: ClientPool) -> Workload:
    """W10: POST /register/ics of W9's semester file, a new user each time (W9's work plus the
    registration write of W4)."""
    calendar = data.semester_calendar()
    counter = itertools.count()

    def request_for(name: str) -> Request:
        body, content_type = data.multipart_register_calendar(name, calendar)
        return Request("POST", "/register/ics", body, content_type, pool.next_address())

    def next_request() -> Request:
        return request_for(data.username(next(counter), W10_PREFIX_PYTHON))

    def check(port: int) -> None:
        name = data.username(next(counter), W10_PREFIX_PYTHON)
        payload = send_expect(port, request_for(name), 201).json()
        verify.check_calendar_preview(f"W10 {name}", payload, calendar, CAMPUS_ZONE, preview=False)
        get = pool.stamp(Request("GET", f"/users/{quote(name)}"))
        user = send_expect(port, get, 200).json()
        verify.check_user(f"W10 then GET /users/{name}", user, name, payload["schedule"])

    def script(workdir: Path) -> str:
        template, content_type = data.multipart_register_calendar(NAME_PLACEHOLDER, calendar)
        prefix, suffix = template.split(NAME_PLACEHOLDER.encode())
        return load.lua_unique_post(
            workdir, "/register/ics", prefix, suffix, content_type, W10_PREFIX_WRK, pool.addresses
        )

    label = "POST /register/ics, W9's file, a new user each time"
    return Workload("W10", label, 105.0, 201, next_request, check, script)


def floor_workload(ds: data.Dataset, pool: ClientPool) -> Workload:
    """POST / on the floor app with W1's headers (X-Real-IP included) and body, which the floor
    parses like GapFind does but never reads."""
    body = data.json_body({"usernames": list(ds.users[:2])})
    request = Request("POST", "/", body, JSON)
    next_request, script = _static(request, pool)

    def check(port: int) -> None:
        send_expect(port, next_request(), 200).json()

    return Workload(FLOOR, FLOOR_LABEL, None, 200, next_request, check, script)


def build(ds: data.Dataset, pool: ClientPool) -> dict[str, Workload]:
    """All GapFind workloads by key, in report order, sending from ``pool``'s addresses."""
    sd_nocd = {"compute_sd": True, "no_classes_day": True}
    w3_body, w3_type = data.multipart_usernames(ds.users)
    w6_body = data.json_body({"usernames": list(ds.bulk_users)})
    n_bulk = len(ds.bulk_users)
    items: Sequence[Workload] = (
        _results("W1", "POST /results, 2 users, defaults", 2.5, ds, pool, 2, {}),
        _results("W2", "POST /results, 30 users, sd + no-classes day", 3.0, ds, pool, 30, sd_nocd),
        _results("W2b", "POST /results, 6 users, sd", 3.5, ds, pool, 6, {"compute_sd": True}),
        _analyze(
            "W3",
            f"POST /analyze, file upload of {len(ds.users)} users",
            4.5,
            ds,
            pool,
            ds.users,
            Request("POST", "/analyze", w3_body, w3_type),
        ),
        _manual(ds, pool),
        _users(ds, pool),
        _analyze(
            "W6",
            f"POST /analyze, JSON list of {n_bulk} users",
            60.0,
            ds,
            pool,
            ds.bulk_users,
            Request("POST", "/analyze", w6_body, JSON),
        ),
        _blocks(ds, pool),
        _calendar(pool),
        _calendar_preview(pool),
        _register_calendar(pool),
    )
    return {w.key: w for w in items}
