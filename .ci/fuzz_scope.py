"""A schemathesis check for the role passes of .ci/fuzz-openapi.sh: no answer leaks an object
outside the caller's scope, and roles without access to personal data never get it.

Configured by environment variables (set by the script for each role):
  SOHOA_SCOPE_PREFIXES  unit codes the caller may see objects of, as prefixes ("21835" for
                        Bình Tường's officer; "218,547" for Tây Sơn's viewer); the ancestors in
                        SOHOA_SCOPE_ANCESTORS ("52,547") are allowed as exact codes.
  SOHOA_NO_PERSONAL     "1": no phone, email or year of birth may appear with a value.

Administrative units are public registry data (every signed-in user reads the whole tree) and
the plugin catalogue is shared configuration, so /units and /plugins answers are not judged.
"""
import os
import re

import schemathesis

PREFIXES = [p for p in os.environ.get("SOHOA_SCOPE_PREFIXES", "").split(",") if p]
ANCESTORS = {a for a in os.environ.get("SOHOA_SCOPE_ANCESTORS", "").split(",") if a}
NO_PERSONAL = os.environ.get("SOHOA_NO_PERSONAL") == "1"
UNIT_KEYS = {"unit_code", "unit", "code", "parent_code"}
PERSONAL_KEYS = {"phone", "email", "birth_year"}
CODE = re.compile(r"^[0-9]{2,5}(-[0-9A-Za-z]+)*$")
NOT_JUDGED = re.compile(r"^/api/v1/(units|plugins|openapi)")


def _walk(value, path, problems):
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{path}.{key}"
            if key in UNIT_KEYS and isinstance(inner, str) and CODE.match(inner):
                if inner not in ANCESTORS and not any(inner.startswith(p) for p in PREFIXES):
                    problems.append(f"{where} = {inner!r} is outside the caller's scope")
            if NO_PERSONAL and key in PERSONAL_KEYS and inner not in (None, "", "–"):
                problems.append(f"{where} = {inner!r}: this role may not see personal data")
            _walk(inner, where, problems)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _walk(inner, f"{path}[{i}]", problems)


@schemathesis.check
def no_scope_leak(ctx, response, case):
    """Answers hold only objects within the caller's scope (and no personal data when barred)."""
    if not PREFIXES or not 200 <= response.status_code < 300:
        return None
    if NOT_JUDGED.match(case.operation.path):
        return None
    kind = response.headers.get("content-type") or ""
    if isinstance(kind, (list, tuple)):
        kind = kind[0] if kind else ""
    if "json" not in kind:
        return None
    try:
        body = response.json()
    except Exception:
        return None
    problems = []
    _walk(body, "$", problems)
    if problems:
        raise AssertionError(f"{case.operation.label}: " + "; ".join(problems[:5]))
    return None
