"""schemathesis hooks of scripts/contract.sh (loaded through SCHEMATHESIS_HOOKS).

The contract counts a text's length limits after trimming (spec §3: "prompt must be 1 to 5000
characters after trimming"; the same for a brand's name and domain, a webhook's description,
`client_reference_id`), while `maxLength` in docs/openapi.yaml can only speak of the string as
sent. So a string that breaks `maxLength` only by what surrounds it (" " + 200 characters as a
brand's name) is schema-invalid and rightly accepted. This hook drops exactly that report: a
"schema-violating request accepted" (ST201) whose only negated part is the JSON body and whose
body, with every string trimmed as the server trims it, satisfies the schema. Any other ST201,
and every other check, stands.

It also makes `ast.parse` run one call at a time. CPython 3.11 (this machine's Python) keeps the
AST constructor's recursion counter in interpreter-wide state, so two of schemathesis' worker
threads building ASTs at once (hypothesis parses source files to describe its filter lambdas)
can fail one of them with "SystemError: AST constructor recursion depth mismatch" (CPython
gh-106905; the CI run with seed 23955 stopped on it as a runtime error in the coverage phase).
Hypothesis caches what it parses, so the lock is taken a handful of times per run.
"""

import ast
import threading
import unicodedata

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation

_AST_LOCK = threading.RLock()
_ast_parse = ast.parse


def _parse_one_at_a_time(*args, **kwargs):
    with _AST_LOCK:
        return _ast_parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time

# shared/src/contract/text.rs::is_invisible: format characters that show nothing.
INVISIBLE = set("\u00ad\u061c\u180e\u2060\u2061\u2062\u2063\u2064\ufeff")
INVISIBLE.update(chr(c) for c in range(0x200B, 0x2010))
INVISIBLE.update(chr(c) for c in range(0x202A, 0x202F))
INVISIBLE.update(chr(c) for c in range(0x2066, 0x206A))


def shows_nothing(c):
    """text.rs::trim's predicate: whitespace, a control character or an invisible one."""
    return c.isspace() or unicodedata.category(c) == "Cc" or c in INVISIBLE


def trim(text):
    start, end = 0, len(text)
    while start < end and shows_nothing(text[start]):
        start += 1
    while end > start and shows_nothing(text[end - 1]):
        end -= 1
    return text[start:end]


def trimmed(value):
    if isinstance(value, str):
        return trim(value)
    if isinstance(value, list):
        return [trimmed(v) for v in value]
    if isinstance(value, dict):
        # §3: metadata's keys and values are not trimmed.
        return {k: v if k == "metadata" else trimmed(v) for k, v in value.items()}
    return value


OTHER_LOCATIONS = (
    ParameterLocation.PATH,
    ParameterLocation.QUERY,
    ParameterLocation.HEADER,
    ParameterLocation.COOKIE,
)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep (True) every failure but an ST201 explained by trimming alone."""
    if not isinstance(failure, AcceptedNegativeData):
        return True
    meta = case.meta
    if meta is None or any(meta.is_negative_at(location) for location in OTHER_LOCATIONS):
        return True
    if not isinstance(case.body, (dict, list)):
        return True
    body = case.operation.get_body_for_media_type(case.media_type)
    if body is None or body.is_valid(case.body):
        return True
    return not body.is_valid(trimmed(case.body))
