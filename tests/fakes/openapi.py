"""GitHub's OpenAPI description (the subset vendored in tests/vendor/): validation with openapi-core, and
schema-valid response objects for the fake.

Every exchange with the fake GitHub is validated: the request against the operation it resolves to
(an unknown path or method is a violation, so the tool may only use documented endpoints), and the
response whenever its status code is documented for that operation. Injected faults (500, 429, a
secondary-limit 403 ...) use status codes the description does not list; those responses are not
validated (there is no schema to check them against), their requests still are.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parents[1] / "vendor" / "github-rest-subset.openapi.json"
SERVER = "https://api.github.com"


@functools.lru_cache(maxsize=1)
def spec_dict() -> dict[str, Any]:
    with open(SPEC_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=1)
def openapi() -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(spec_dict())


def schema(path: str, method: str, status: str, *, item: bool = False) -> dict[str, Any]:
    op = spec_dict()["paths"][path][method]
    sch = op["responses"][status]["content"]["application/json"]["schema"]
    return sch["items"] if item else sch


def instance(sch: dict[str, Any], name: str = "x") -> Any:
    """A minimal value valid against ``sch``: every required property, none optional."""
    if "allOf" in sch:
        merged: dict[str, Any] = {}
        for part in sch["allOf"]:
            value = instance(part, name)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if key in sch:
            return instance(sch[key][0], name)
    if "enum" in sch:
        return sch["enum"][0]
    kind = sch.get("type")
    if kind == "object" or "properties" in sch:
        props = sch.get("properties", {})
        return {k: instance(props.get(k, {"type": "string"}), k) for k in sch.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = sch.get("format")
        if fmt == "date-time":
            return "2026-01-01T00:00:00Z"
        if fmt in ("uri", "url"):
            return f"https://api.github.com/{name}"
        if fmt == "email":
            return "bot@example.com"
        return name
    if sch.get("nullable"):
        return None
    return name


@functools.cache
def _template(path: str, method: str, status: str, item: bool, which: int | None) -> Any:
    sch = schema(path, method, status, item=item)
    if which is not None:
        sch = sch["oneOf"][which]
    return instance(sch)


def template(path: str, method: str, status: str, *, item: bool = False,
             which: int | None = None) -> Any:
    return copy.deepcopy(_template(path, method, status, item, which))


class _Req:
    def __init__(self, method: str, path: str, query: dict[str, list[str]],
                 headers: dict[str, str], body: bytes) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = SERVER
        self.path = path
        self.method = method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict([(k, v) for k, vs in query.items() for v in vs]),
            header=Headers(headers), cookie=ImmutableMultiDict())
        self.body = body or None
        self.content_type = (headers.get("content-type") or "").lower()


class _Resp:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        from werkzeug.datastructures import Headers

        self.status_code = status
        self.headers = Headers(headers)
        self.content_type = headers.get("Content-Type", "application/json").lower()
        self.data = body or None


def validate(method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
             body: bytes, status: int, response_headers: dict[str, str],
             response_body: bytes, *, check_response: bool) -> list[str]:
    """Violations (empty when the exchange conforms)."""
    from openapi_core.templating.responses.exceptions import ResponseNotFound

    problems: list[str] = []
    req = _Req(method, path, query, headers, body)
    try:
        openapi().validate_request(req)
    except Exception as exc:  # openapi-core raises a family of ValidationError types
        problems.append(f"request {method} {path}: {type(exc).__name__}: {exc}")
        return problems
    if check_response:
        try:
            openapi().validate_response(req, _Resp(status, response_headers, response_body))
        except ResponseNotFound:
            pass  # status not described for this operation (an injected fault)
        except Exception as exc:
            problems.append(f"response {status} to {method} {path}: {type(exc).__name__}: {exc}")
    return problems
