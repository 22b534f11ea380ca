"""A fast yes/unsure answer to "does this policy satisfy schema.json?", without importing jsonschema.

jsonschema and its dependencies cost ~0.04 s to import and its validator more to build, which is a
fifth of ``model-gate validate`` (issue 13, start-up). Every policy error message is worded from
jsonschema's errors, so this module never words one: :func:`conforms` returns True only when it is
*sure* the document is valid under Draft 2020-12, and False when it is invalid or unsure (a keyword
it does not know, a value type whose JSON meaning is not plain, ``1`` against ``1.0``); the caller
then runs jsonschema, which finds the error and words it exactly as before (or finds none).

The rule it keeps: ``conforms(doc) is True`` implies jsonschema reports no error. The converse is
not needed, and tests/test_policy_schema_check.py checks the rule against jsonschema on every policy
in the repository and on mutations of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# keywords that only annotate: they never make a document invalid
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "default", "examples", "$comment"})


def conforms(doc: Any, schema: Mapping[str, Any]) -> bool:
    """True when ``doc`` surely satisfies ``schema`` (a Draft 2020-12 schema whose ``$ref`` are local
    ``#/$defs/...`` pointers); False when it does not or when this checker cannot tell."""
    return _Checker(schema).check(doc, schema)


class _Unsure(Exception):
    """A construct whose JSON Schema meaning this checker does not reproduce exactly."""


def _is_number(x: Any) -> bool:
    return type(x) in (int, float)


def _is_integer(x: Any) -> bool:
    """Draft 2020-12: an integer is any number with a zero fractional part (``1.0`` counts)."""
    return type(x) is int or (type(x) is float and x.is_integer())


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda x: type(x) is dict, "array": lambda x: type(x) is list, "string": lambda x: type(x) is str,
    "boolean": lambda x: type(x) is bool, "null": lambda x: x is None, "number": _is_number, "integer": _is_integer,
}

_PLAIN = (str, int, float, bool, type(None), dict, list)


class _Checker:
    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root

    def check(self, doc: Any, schema: Mapping[str, Any]) -> bool:
        try:
            return self._valid(doc, schema)
        except _Unsure:
            return False

    def _valid(self, x: Any, s: Mapping[str, Any]) -> bool:
        """Every keyword of ``s`` holds for ``x`` (keywords about another JSON type are skipped, as
        in JSON Schema); an unknown keyword or a non-JSON value raises :class:`_Unsure`."""
        if type(x) not in _PLAIN:
            raise _Unsure
        for key, value in s.items():
            if key in _ANNOTATIONS:
                continue
            rule = _RULES.get(key)
            if rule is None:
                raise _Unsure
            if not rule(self, x, value, s):
                return False
        return True

    def ref(self, x: Any, pointer: str, _s: Mapping[str, Any]) -> bool:
        if not pointer.startswith("#/"):
            raise _Unsure
        target: Any = self.root
        for part in pointer[2:].split("/"):
            if "~" in part or not isinstance(target, Mapping) or part not in target:
                raise _Unsure
            target = target[part]
        return self._valid(x, target)

    def properties(self, x: Any, props: Mapping[str, Any], _s: Mapping[str, Any]) -> bool:
        if type(x) is not dict:
            return True
        if any(type(k) is not str for k in x):
            raise _Unsure  # YAML keys such as 1 or true: leave their wording to jsonschema
        return all(self._valid(x[k], sub) for k, sub in props.items() if k in x)

    def additional(self, x: Any, extra: Any, s: Mapping[str, Any]) -> bool:
        if type(x) is not dict:
            return True
        if "patternProperties" in s or any(type(k) is not str for k in x):
            raise _Unsure
        others = [k for k in x if k not in s.get("properties", {})]
        if extra is False:
            return not others
        if extra is True:
            return True
        return all(self._valid(x[k], extra) for k in others)

    def items(self, x: Any, sub: Any, s: Mapping[str, Any]) -> bool:
        if type(x) is not list:
            return True
        if "prefixItems" in s or not isinstance(sub, Mapping):
            raise _Unsure
        return all(self._valid(item, sub) for item in x)

    def one_of(self, x: Any, subs: list, _s: Mapping[str, Any]) -> bool:
        return sum(1 for sub in subs if self._valid(x, sub)) == 1


def _type(_c: _Checker, x: Any, wanted: Any, _s: Mapping[str, Any]) -> bool:
    names = wanted if isinstance(wanted, list) else [wanted]
    if any(n not in _TYPES for n in names):
        raise _Unsure
    return any(_TYPES[n](x) for n in names)


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values, counted only when the Python types agree (``True`` is not ``1``; ``1``
    against ``1.0`` is left to jsonschema by returning False)."""
    return type(a) is type(b) and type(a) in (str, int, float, bool, type(None)) and a == b


def _enum(_c: _Checker, x: Any, options: list, _s: Mapping[str, Any]) -> bool:
    return any(_same(x, o) for o in options)


def _const(_c: _Checker, x: Any, value: Any, _s: Mapping[str, Any]) -> bool:
    return _same(x, value)


def _numeric(test: Callable[[Any, Any], bool]) -> Callable[[_Checker, Any, Any, Mapping[str, Any]], bool]:
    """A bound keyword: only numbers are constrained; the comparison is jsonschema's own (so a NaN
    fails none of them, as there)."""
    return lambda _c, x, bound, _s: not _is_number(x) or test(x, bound)


def _sized(kind: type[str] | type[list] | type[dict], test: Callable[[int, int], bool]) -> Callable[[_Checker, Any, Any, Mapping[str, Any]], bool]:
    """A length keyword (minLength, minItems, ...): only values of ``kind`` are constrained. Python's
    ``len`` of a str counts code points, as JSON Schema does."""
    return lambda _c, x, n, _s: type(x) is not kind or test(len(x), n)


def _required(_c: _Checker, x: Any, names: list, _s: Mapping[str, Any]) -> bool:
    return type(x) is not dict or all(n in x for n in names)


def _unique(_c: _Checker, x: Any, flag: bool, _s: Mapping[str, Any]) -> bool:
    """Only lists of strings are judged here (a set is exact for them); any other list is unsure."""
    if type(x) is not list or not flag:
        return True
    if any(type(item) is not str for item in x):
        raise _Unsure
    return len(set(x)) == len(x)


_RULES: dict[str, Callable[[_Checker, Any, Any, Mapping[str, Any]], bool]] = {
    "type": _type, "enum": _enum, "const": _const, "required": _required, "uniqueItems": _unique,
    "$ref": lambda c, x, v, s: c.ref(x, v, s),
    "properties": lambda c, x, v, s: c.properties(x, v, s),
    "additionalProperties": lambda c, x, v, s: c.additional(x, v, s),
    "items": lambda c, x, v, s: c.items(x, v, s),
    "oneOf": lambda c, x, v, s: c.one_of(x, v, s),
    "minimum": _numeric(lambda x, b: not x < b), "maximum": _numeric(lambda x, b: not x > b),
    "exclusiveMinimum": _numeric(lambda x, b: not x <= b), "exclusiveMaximum": _numeric(lambda x, b: not x >= b),
    "minLength": _sized(str, lambda n, b: n >= b), "maxLength": _sized(str, lambda n, b: n <= b),
    "minItems": _sized(list, lambda n, b: n >= b), "maxItems": _sized(list, lambda n, b: n <= b),
    "minProperties": _sized(dict, lambda n, b: n >= b), "maxProperties": _sized(dict, lambda n, b: n <= b),
}
