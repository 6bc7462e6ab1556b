"""Settings that depend on where GapFind runs, checked when the app is created.

Some settings that are right on a long-running server are wrong inside AWS Lambda, and there a
wrong one shows up late and quietly: a SQLite file that vanishes when the execution environment
is recycled, rate limits that each of many execution environments counts on its own without the
operator having chosen it, a client address taken from a header any client can write. So the
factory calls `check_platform` before it builds anything, and a deployment with such a setting
fails its first invocation with a message that names the setting, instead of serving.

Lambda is recognised by AWS_LAMBDA_FUNCTION_NAME, which the Lambda runtime sets in every
execution environment. Standard library only: this is on every start-up path.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

LAMBDA_MARKER = "AWS_LAMBDA_FUNCTION_NAME"


def on_aws_lambda(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this process is a Lambda execution environment."""
    return bool((os.environ if environ is None else environ).get(LAMBDA_MARKER, "").strip())


def check_platform(
    settings: Mapping[str, Any],
    explicit: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Refuse the settings this platform cannot run with; every problem in one message.

    `settings` are the resolved ones (app.config); `explicit` the overrides the caller passed to
    create_app. A setting counts as written out when it is in the environment or in `explicit`:
    a class default does not, which is what lets "memory://" be refused unless chosen.
    """
    environ = os.environ if environ is None else environ
    if not on_aws_lambda(environ):
        return
    problems = lambda_problems(settings, explicit or {}, environ)
    if problems:
        raise ValueError(
            f"GapFind cannot start on AWS Lambda ({LAMBDA_MARKER} is set):\n- "
            + "\n- ".join(problems)
        )


def lambda_problems(
    settings: Mapping[str, Any], explicit: Mapping[str, Any], environ: Mapping[str, str]
) -> list[str]:
    """What is wrong with `settings` for Lambda, each message starting with the setting."""
    problems = []
    url = settings.get("DATABASE_URL") or ""
    if not url or url.startswith("sqlite"):
        # The URL is not echoed: it may hold a password, and this message goes to the logs.
        problems.append(
            "DATABASE_URL "
            + ("is not set, so it would be a SQLite file" if not url else "names SQLite")
            + ": a Lambda function's disk is neither kept between invocations nor shared by its"
            " execution environments. Point it at PostgreSQL (postgresql://user:pass@host/db)."
        )
    written = explicit.get("RATELIMIT_STORAGE_URI") or environ.get("RATELIMIT_STORAGE_URI", "")
    if not str(written).strip():
        problems.append(
            "RATELIMIT_STORAGE_URI must be set: a Redis URL (redis://..., rediss://...) for limits"
            " shared by every execution environment, or memory:// written out to accept that"
            " each execution environment counts alone (the HTTP API's throttling is then the"
            " only limit across them)."
        )
    if int(settings.get("TRUSTED_PROXY_HOPS") or 0) > 0:
        problems.append(
            "TRUSTED_PROXY_HOPS must be 0: the HTTP API hands over the client address as"
            " requestContext.http.sourceIp, and X-Forwarded-For holds whatever the client sent."
            " Behind a CDN that passes the client address in a header of its own, name that"
            " header in REAL_IP_HEADER (CF-Connecting-IP for Cloudflare)."
        )
    return problems
