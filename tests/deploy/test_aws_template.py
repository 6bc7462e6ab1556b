"""deploy/aws/template.yaml: cfn-lint finds nothing, aws-sam-translator turns it into the
CloudFormation that `sam deploy` would send, and what it deploys is what the app expects: the
$default route and stage with payload 2.0, throttling from parameters, the daily purge event the
handler routes, settings the app knows (DATABASE_URL from SSM, never a value), CORS equal to the
app's own. All offline: a fake region, no credentials, no AWS call.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint, lint_file
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

from config import Config
from gapfind import create_app
from gapfind.aws_lambda import PURGE_EVENT
from gapfind.platform import LAMBDA_MARKER

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "aws" / "template.yaml"
ORIGIN = "https://gfind.pages.dev"
REGIONS = ["us-east-1", "eu-west-1", "sa-east-1"]


class NoManagedPolicies:
    """The translator's IAM look-up, never needed: the template names no managed policy."""

    def load(self) -> dict[str, str]:
        raise AssertionError("the translator asked IAM for managed policies")


@pytest.fixture(scope="module")
def sam() -> dict[str, Any]:
    return yaml_parse(TEMPLATE.read_text())  # type: ignore[no-any-return]


@pytest.fixture
def cloudformation(
    sam: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> dict[str, dict[str, Any]]:
    """The transformed template, resources by logical id, with and without CORS."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    packaged = copy.deepcopy(sam)
    # What `sam package` does before CloudFormation sees the template: the built code uploaded.
    packaged["Resources"]["GapFindFunction"]["Properties"]["CodeUri"] = "s3://bucket/gapfind.zip"
    return {
        "cors": transform(
            copy.deepcopy(packaged), {"CorsAllowedOrigins": ORIGIN}, NoManagedPolicies()
        ),
        "defaults": transform(packaged, {}, NoManagedPolicies()),
    }


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = of_type(template, kind)
    assert len(found) == 1, f"{len(found)} {kind}"
    return found[0]["Properties"]  # type: ignore[no-any-return]


def test_cfn_lint_finds_nothing() -> None:
    config = ManualArgs(regions=REGIONS, include_checks=["I"])
    assert [str(match) for match in lint_file(TEMPLATE, config=config)] == []


def test_cfn_lint_does_report_a_broken_template() -> None:
    """The test above can fail: the same lint on a copy with a retired runtime and no memory."""
    broken = TEMPLATE.read_text().replace("python3.13", "python2.7").replace("512", "1")
    found = {match.rule.id for match in lint(broken, config=ManualArgs(regions=REGIONS))}
    assert {"E2533", "E3034"} <= found, found


def test_one_function_on_arm64_with_the_handler_module(cloudformation: dict) -> None:
    function = only(cloudformation["defaults"], "AWS::Lambda::Function")
    assert function["Runtime"] == "python3.13"
    assert function["Architectures"] == ["arm64"]
    assert function["Handler"] == "lambda_handler.handler"
    assert (ROOT / "lambda_handler.py").is_file()
    assert 256 <= function["MemorySize"] <= 2048
    assert function["Timeout"] < 30, "the HTTP API gives up on an integration after 30 s"
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "GapFindLogGroup"}


def test_every_request_reaches_the_function_unprefixed_in_payload_2(cloudformation: dict) -> None:
    body = only(cloudformation["defaults"], "AWS::ApiGatewayV2::Api")["Body"]
    assert list(body["paths"]) == ["$default"]
    route = body["paths"]["$default"]["x-amazon-apigateway-any-method"]
    assert route["isDefaultRoute"] is True
    assert route["x-amazon-apigateway-integration"]["payloadFormatVersion"] == "2.0"
    assert route["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    stage = only(cloudformation["defaults"], "AWS::ApiGatewayV2::Stage")
    # A named stage would prefix rawPath ("/prod/users/ana"), and no route would match.
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
    }
    permissions = of_type(cloudformation["defaults"], "AWS::Lambda::Permission")
    principals = sorted(p["Properties"]["Principal"] for p in permissions)
    assert principals == ["apigateway.amazonaws.com", "events.amazonaws.com"]


def test_the_daily_rule_sends_the_event_the_handler_purges_on(
    sam: dict, cloudformation: dict
) -> None:
    rule = only(cloudformation["defaults"], "AWS::Events::Rule")
    assert rule["ScheduleExpression"] == {"Ref": "PurgeSchedule"}
    (target,) = rule["Targets"]
    assert json.loads(target["Input"]) == PURGE_EVENT
    assert target["Arn"] == {"Fn::GetAtt": ["GapFindFunction", "Arn"]}
    daily = sam["Parameters"]["PurgeSchedule"]["Default"]
    assert re.fullmatch(r"cron\(\d+ \d+ \* \* \? \*\)|rate\(1 day\)", daily), daily


def test_the_log_group_keeps_logs_for_the_retention_parameter(cloudformation: dict) -> None:
    group = only(cloudformation["defaults"], "AWS::Logs::LogGroup")
    assert group["RetentionInDays"] == {"Ref": "LogRetentionInDays"}


def environment(cloudformation: dict) -> dict[str, Any]:
    function = only(cloudformation["defaults"], "AWS::Lambda::Function")
    return function["Environment"]["Variables"]  # type: ignore[no-any-return]


def test_every_variable_is_a_setting_of_the_app(cloudformation: dict) -> None:
    names = set(environment(cloudformation)) - {"GAPFIND_CONFIG"}
    assert names, "no settings"
    assert sorted(name for name in names if not hasattr(Config, name)) == []


def test_the_database_url_comes_from_ssm_and_is_never_a_value(
    sam: dict, cloudformation: dict
) -> None:
    env = environment(cloudformation)
    assert env["DATABASE_URL"] == {"Fn::Sub": "{{resolve:ssm:${DatabaseUrlParameterName}}}"}
    for parameter in sam["Parameters"].values():
        assert "://" not in str(parameter.get("Default", "")), "a URL as a default"
    assert sam["Parameters"]["DatabaseUrlParameterName"]["Default"].startswith("/")
    # Set in both cases, as the platform check requires.
    storage = env["RATELIMIT_STORAGE_URI"]["Fn::If"]
    assert storage[1:] == [
        {"Fn::Sub": "{{resolve:ssm:${RateLimitStorageParameterName}}}"},
        "memory://",
    ]
    assert env["TRUSTED_PROXY_HOPS"] == "0"


def resolved(value: Any, parameters: dict[str, Any]) -> str:
    """An environment value with the parameters' defaults (and the conditions they give)."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return str(parameters[value["Ref"]])
    if "Fn::Sub" in value:
        return re.sub(r"\$\{(\w+)\}", lambda m: str(parameters[m[1]]), value["Fn::Sub"])
    if "Fn::If" in value:
        condition, then, otherwise = value["Fn::If"]
        assert condition == "HasSharedLimits"
        return resolved(
            then if parameters["RateLimitStorageParameterName"] else otherwise, parameters
        )
    raise AssertionError(value)


def test_the_app_starts_with_the_templates_environment(sam: dict, cloudformation: dict) -> None:
    """In a fresh interpreter as inside the function: every value (time zone, limits, log
    level...) is one the app accepts, and the platform check passes. The SSM reference stands
    for a PostgreSQL URL, as CloudFormation resolves it."""
    defaults = {name: p.get("Default", "") for name, p in sam["Parameters"].items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "TEST_"))}
    for name, value in environment(cloudformation).items():
        env[name] = resolved(value, defaults)
    assert env["DATABASE_URL"] == "{{resolve:ssm:/gapfind/database-url}}"
    env["DATABASE_URL"] = "postgresql://gapfind:secret@127.0.0.1:9/gapfind"
    env[LAMBDA_MARKER] = "gapfind"
    done = subprocess.run(
        [sys.executable, "-c", "import lambda_handler"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def cors_of_the_app() -> dict[str, Any]:
    """What flask-cors answers for the allowed origin: a preflight asking for every header
    a client might send, and a plain request's exposed headers."""
    app = create_app({"DATABASE_URL": "sqlite://", "CORS_ORIGINS": [ORIGIN]})
    client = app.test_client()
    asked = "authorization, content-type, x-request-id, x-custom, cookie"
    preflight = client.options(
        "/manual",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": asked,
        },
    )
    plain = client.get("/health", headers={"Origin": ORIGIN})

    def listed(value: str | None) -> list[str]:
        return sorted(item.strip().lower() for item in (value or "").split(",") if item.strip())

    return {
        "AllowOrigins": [preflight.headers["Access-Control-Allow-Origin"]],
        "AllowMethods": [
            m.upper() for m in listed(preflight.headers["Access-Control-Allow-Methods"])
        ],
        "AllowHeaders": listed(preflight.headers.get("Access-Control-Allow-Headers")),
        "ExposeHeaders": listed(plain.headers.get("Access-Control-Expose-Headers")),
        "MaxAge": int(preflight.headers["Access-Control-Max-Age"]),
        "AllowCredentials": "Access-Control-Allow-Credentials" in preflight.headers,
    }


def test_the_http_apis_cors_is_the_apps(cloudformation: dict) -> None:
    """With CORS configured, the HTTP API answers preflights itself and replaces the app's CORS
    headers: it must say what the app says, or a browser sees another API on Lambda."""
    body = only(cloudformation["cors"], "AWS::ApiGatewayV2::Api")["Body"]
    condition, api, otherwise = body["x-amazon-apigateway-cors"]["Fn::If"]
    assert (condition, otherwise) == ("HasCors", {"Ref": "AWS::NoValue"})
    template = {
        "AllowOrigins": api["allowOrigins"]["Fn::Split"][1].split(","),
        "AllowMethods": sorted(api["allowMethods"]),
        "AllowHeaders": sorted(api["allowHeaders"]),
        "ExposeHeaders": sorted(api["exposeHeaders"]),
        "MaxAge": api["maxAge"],
        "AllowCredentials": api["allowCredentials"],
    }
    assert template == cors_of_the_app()


def test_without_origins_there_is_no_cors(sam: dict) -> None:
    assert sam["Parameters"]["CorsAllowedOrigins"]["Default"] == ""
    assert sam["Conditions"]["HasCors"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "CorsAllowedOrigins"}, ""]}]
    }
