"""The submit function written the Powertools for AWS Lambda (Python) way: a peer of
`functions/submit` for `scripts/bench.sh`, which times both on `scripts/coldstart.py`.

What it mirrors (`shared/src/http/mod.rs`, `service/submit.rs`, `service/auth.rs`,
`contract/generation.rs`, `adapters/aws/src/dynamo/`):
- Routing with `APIGatewayHttpResolver`: `POST /api/v1/images/generations` and its alias
  `POST /api/v1/ads/generate`; errors in the envelope of spec §1 through exception handlers.
- Authentication: `Authorization: Bearer sk_live_...`, the key looked up by its SHA-256 in the
  same table (`pk = APIKEY#<hash>`, `sk = APIKEY`, an eventually consistent GetItem), kept in the
  warm process for 30 s (`ADGEN_API_KEY_CACHE_SECONDS`, at most 60); 401/403 as ours.
- The request: 413 over 6 MB, 415 for a non-JSON content type, 400 `invalid_idempotency_key`
  (1-255 printable ASCII), 400 `invalid_json_body`, 400 `invalid_request_body` with every
  issue: unknown fields (top level and `output`), `prompt` trimmed 1-5000 characters,
  `output` choices and the lossy-only `quality` / `max_bytes`, `client_reference_id`,
  `metadata`'s limits, `brand_id` a UUID, `brand_identity_json` an object of at most 32 KB,
  at most 6 `reference_images`.
- The job item: the same attributes as `job_item` (`JOB#<id>`/`JOB`, `org_id`, `status`,
  `enqueued`, `events_dispatched`, `created_at`, `updated_at`, `claims`, the `gsi2` keys and
  `doc`, the job JSON in serde's field order), written with `attribute_not_exists(#pk)`; the
  message `{"job_id", "org_id"}` on the queue; a failed send takes the job back (the same
  conditional delete). The 202: `Location: /api/v1/jobs/<id>`, `X-Request-Id`, the success
  envelope; a brand named by `brand_id` is read (consistent GetItem) before the job is written.
- Idempotency with Powertools' own utility (`idempotent_function` over a
  `DynamoDBPersistenceLayer`), after authentication and validation as ours (so a replay is
  authenticated too): the key is scoped to the organisation, the validated body is the
  payload checked on reuse (409 `idempotency_key_mismatch`), an attempt still running is 409
  `idempotency_key_in_use` with `Retry-After: 1`, the stored answer is replayed with
  `X-Idempotency-Replayed: true` (a `response_hook`), kept `ADGEN_IDEMPOTENCY_TTL_SECONDS`
  (24 h). A request without the header goes through Powertools unkeyed
  (`raise_on_no_idempotency_key=False`). The records live in the same table: Powertools takes a
  composite key (`key_attr="pk"`, `sort_key_attr="sk"`: `pk = idempotency#<function>`,
  `sk = <function>#<hash>`) and `expires_at` is our table's TTL attribute, so
  `scripts/coldstart-setup.py` serves both functions as it is.
- `Logger` (JSON lines, the Lambda context and correlation id injected) and `Metrics` (EMF,
  one `submitted` count with the `JobType` dimension, for a job created, not for a replay).
  boto3 clients are made once, at import (cold start).

Round trips: without a key 2 (PutItem job, SendMessage), as ours; with a new key 4 (Powertools'
claim PutItem, PutItem job, SendMessage, Powertools' completion UpdateItem) where ours has 3
(its claim writes the job in the same TransactWriteItems); a replay 1 (the claim's PutItem
refused, the record returned with it through ReturnValuesOnConditionCheckFailure), as ours.

What it leaves out: inline reference images (their S3 staging: the peer takes `https://` URLs
only and builds no S3 client) and the URL checks of spec §8, the brand DNA rules inside
`brand_identity_json`, the per-key rate limit (off by default in ours too), 405 (an unknown
method is the resolver's 404), resuming the job of a crashed keyed attempt (Powertools runs the
function again once the in-progress lock, the Lambda's remaining time, has passed), and
the exact wording of JSON syntax errors.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import unicodedata
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

GENERATIONS_PATH = "/api/v1/images/generations"
ADS_GENERATE_PATH = "/api/v1/ads/generate"
JOBS_PREFIX = "/api/v1/jobs/"
MAX_BODY_BYTES = 6 * 1024 * 1024
KEY_PREFIX = "sk_live_"
KEY_CACHE_CAPACITY = 10_000

MAX_PROMPT_CHARS = 5000
MAX_REFERENCES = 6
MAX_CLIENT_REFERENCE_CHARS = 200
MAX_METADATA_KEYS = 16
MAX_METADATA_KEY_CHARS = 40
MAX_METADATA_VALUE_CHARS = 500
MAX_BRAND_IDENTITY_BYTES = 32 * 1024
FIELDS = ("prompt", "reference_images", "brand_id", "brand_identity_json", "output",
          "client_reference_id", "metadata")
CHOICES = {
    "aspect_ratio": ("auto", "1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4",
                     "8:1", "9:16", "16:9", "21:9"),
    "resolution": ("512", "1K", "2K", "4K"),
    "thinking_intensity": ("minimal", "high"),
    "format": ("png", "jpeg", "webp"),
}
RANGES = {"quality": (1, 100), "max_bytes": (20_000, 20_000_000)}
OUTPUT_FIELDS = (*CHOICES, *RANGES)  # serde's field order of OutputRequest

# Cold start: configuration and clients, once per execution environment.
TABLE = os.environ["ADGEN_TABLE"]
QUEUE_URL = os.environ["ADGEN_QUEUE_URL"]
KEY_CACHE_SECONDS = min(float(os.environ.get("ADGEN_API_KEY_CACHE_SECONDS", "30")), 60.0)
IDEMPOTENCY_TTL_SECONDS = int(os.environ.get("ADGEN_IDEMPOTENCY_TTL_SECONDS", "86400"))
_boto_config = Config(retries={"mode": "standard", "max_attempts": 3})
dynamodb = boto3.client("dynamodb", endpoint_url=os.environ.get("ADGEN_DYNAMODB_ENDPOINT"),
                        config=_boto_config)
sqs = boto3.client("sqs", endpoint_url=os.environ.get("ADGEN_SQS_ENDPOINT"), config=_boto_config)

logger = Logger()  # POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL
metrics = Metrics()  # POWERTOOLS_METRICS_NAMESPACE
app = APIGatewayHttpResolver()


def _mark_replayed(response: dict, data_record) -> dict:
    """Powertools' hook on an answer served from the idempotency record."""
    response["replayed"] = True
    return response


persistence = DynamoDBPersistenceLayer(
    table_name=TABLE,
    key_attr="pk",
    sort_key_attr="sk",
    expiry_attr="expires_at",
    boto3_client=dynamodb,
)
idempotency_config = IdempotencyConfig(
    # Keys are the organisation's, as ours (the record's key names this function too: the
    # endpoint). Without the header the expression is null, and Powertools runs create_job
    # unkeyed (raise_on_no_idempotency_key=False).
    event_key_jmespath="idempotency_key && [org_id, idempotency_key]",
    payload_validation_jmespath="request",
    raise_on_no_idempotency_key=False,
    expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
    response_hook=_mark_replayed,
)

_api_keys: dict[str, tuple[str, str, float]] = {}  # key hash -> (org_id, state, looked up at)


class ApiError(Exception):
    """An answer in the error envelope (spec §1)."""

    def __init__(self, status: int, error_type: str, code: str, message: str, param: str | None = None,
                 issues: list | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.status, self.error_type, self.code, self.message = status, error_type, code, message
        self.param, self.issues, self.retry_after = param, issues or [], retry_after


def invalid_body(issues: list[dict]) -> ApiError:
    first = issues[0]
    return ApiError(400, "invalid_request_error", "invalid_request_body", first["message"],
                    param=first["param"], issues=issues)


def unavailable() -> ApiError:
    return ApiError(503, "api_error", "service_unavailable",
                    "the service could not complete the request; retry it (with the same Idempotency-Key, if any)",
                    retry_after=1)


def _request_id() -> str:
    return app.context.get("request_id") or f"req_pi_{uuid.uuid4()}"


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@app.exception_handler(ApiError)
def _api_error(e: ApiError) -> Response:
    request_id = _request_id()
    error = {"type": e.error_type, "code": e.code, "message": e.message, "request_id": request_id}
    if e.param is not None:
        error["param"] = e.param
    if e.issues:
        error["issues"] = e.issues
    headers = {"X-Request-Id": request_id}
    if e.retry_after is not None:
        headers["Retry-After"] = str(e.retry_after)
    if e.status < 500:  # a failure's cause is logged by its handler below
        logger.info("request refused", extra={"status": e.status, "code": e.code})
    return Response(status_code=e.status, content_type="application/json", body=_dumps({"error": error}),
                    headers=headers)


@app.exception_handler(IdempotencyValidationError)
def _key_mismatch(_: Exception) -> Response:
    return _api_error(ApiError(
        409, "idempotency_error", "idempotency_key_mismatch",
        "this Idempotency-Key was used with a different request body; use a new key for a new request",
        param="Idempotency-Key"))


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _key_in_use(_: Exception) -> Response:
    return _api_error(ApiError(
        409, "idempotency_error", "idempotency_key_in_use",
        "a request with this Idempotency-Key is still being processed; retry after a moment",
        param="Idempotency-Key", retry_after=1))


@app.exception_handler([ClientError, BotoCoreError, IdempotencyPersistenceLayerError])
def _dependency_failed(_: Exception) -> Response:
    logger.exception("request failed", extra={"status": 503})
    return _api_error(unavailable())


@app.exception_handler(Exception)
def _bug(_: Exception) -> Response:
    # As ours answers a panic: a 500 in the envelope, the cause in the log only.
    logger.exception("request failed", extra={"status": 500})
    return _api_error(ApiError(
        500, "api_error", "internal_error",
        "the service failed to handle the request; retry it (with the same Idempotency-Key, if any)"))


@app.not_found
def _route_not_found(_: Exception) -> Response:
    return _api_error(ApiError(404, "not_found_error", "route_not_found",
                               "no such route; see /api/v1 in the API reference"))


def authenticate(header: str | None) -> str:
    """The organisation of the request's Bearer key."""
    text = (header or "").strip()
    if not text:
        raise ApiError(401, "authentication_error", "missing_authorization_header",
                       "send your API key as `Authorization: Bearer <api_key>`")
    scheme, _, token = text.partition(" ")
    if scheme.lower() != "bearer":
        raise ApiError(401, "authentication_error", "invalid_authorization_scheme",
                       "the Authorization header must use the Bearer scheme: `Authorization: Bearer <api_key>`")
    token = token.strip()
    invalid_key = ApiError(401, "authentication_error", "invalid_api_key",
                           "the API key is unknown or has been revoked")
    if not token.startswith(KEY_PREFIX) or len(token) > 256:
        raise invalid_key
    key_hash = hashlib.sha256(token.encode()).hexdigest()
    now = time.monotonic()
    cached = _api_keys.get(key_hash)
    if cached is not None and now - cached[2] < KEY_CACHE_SECONDS:
        org_id, state = cached[0], cached[1]
    else:
        item = dynamodb.get_item(TableName=TABLE,
                                 Key={"pk": {"S": f"APIKEY#{key_hash}"}, "sk": {"S": "APIKEY"}}).get("Item")
        if item is None:
            raise invalid_key
        org_id, state = item["org_id"]["S"], item["state"]["S"]
        if KEY_CACHE_SECONDS > 0:
            if len(_api_keys) >= KEY_CACHE_CAPACITY:
                _api_keys.clear()
            _api_keys[key_hash] = (org_id, state, now)
    if state == "active":
        return org_id
    if state == "disabled":
        raise ApiError(403, "permission_error", "api_key_disabled",
                       "the API key is disabled; enable it or use another key")
    raise invalid_key


def _issue(param: str, code: str, message: str) -> dict:
    return {"param": param, "code": code, "message": message}


_INVISIBLE = frozenset("\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                       "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff")


def _shows_nothing(c: str) -> bool:
    return c.isspace() or c in _INVISIBLE or unicodedata.category(c) == "Cc"


def _trim(text: str) -> str:
    """Whitespace, controls and invisible characters off both ends (`contract/text.rs`)."""
    start, end = 0, len(text)
    while start < end and _shows_nothing(text[start]):
        start += 1
    while end > start and _shows_nothing(text[end - 1]):
        end -= 1
    return text[start:end]


def _bounded_text(value, param: str, limit: int, issues: list) -> str | None:
    if not isinstance(value, str):
        issues.append(_issue(param, "invalid_type", f"{param} must be a string of 1 to {limit} characters"))
        return None
    trimmed = _trim(value)
    if not 0 < len(trimmed) <= limit:
        issues.append(_issue(param, "too_short" if not trimmed else "too_long",
                             f"{param} must be 1 to {limit} characters after trimming (got {len(trimmed)})"))
        return None
    return trimmed


def _reject_unknown(fields: dict, allowed, prefix: str, issues: list) -> None:
    for name in fields:
        if name not in allowed:
            # A nameless field is named by the object it is in.
            param = (f"{prefix}.{name}" if name else prefix) if prefix else (name or "body")
            what = f"unknown field `{name}`" if name else "a field with an empty name"
            issues.append(_issue(param, "unknown_field", f"{what}; allowed fields: {', '.join(allowed)}"))


def _present(fields: dict, name: str):
    return fields.get(name)  # JSON null counts as absent


def _output(value, issues: list) -> dict:
    if not isinstance(value, dict):
        issues.append(_issue("output", "invalid_type", "output must be a JSON object"))
        return {}
    _reject_unknown(value, OUTPUT_FIELDS, "output", issues)
    out = {}
    for name, allowed in CHOICES.items():
        given = _present(value, name)
        if given is None:
            continue
        if isinstance(given, str) and given in allowed:
            out[name] = given
        else:
            issues.append(_issue(f"output.{name}", "invalid_value",
                                 f"output.{name} must be one of: {', '.join(allowed)}"))
    fmt = out.get("format")
    format_invalid = _present(value, "format") is not None and fmt is None
    for name, (low, high) in RANGES.items():
        given = _present(value, name)
        if given is None:
            continue
        if type(given) is int and low <= given <= high:
            out[name] = given
            if not format_invalid and (fmt or "png") == "png":
                issues.append(_issue(f"output.{name}", "invalid_value",
                                     f"output.{name} applies to the jpeg and webp formats only (format is png)"))
        else:
            issues.append(_issue(f"output.{name}",
                                 "invalid_value" if isinstance(given, (int, float)) and not isinstance(given, bool)
                                 else "invalid_type",
                                 f"output.{name} must be an integer from {low} to {high}"))
    return {name: out[name] for name in OUTPUT_FIELDS if name in out}


def _metadata(value, issues: list) -> dict | None:
    if not isinstance(value, dict):
        issues.append(_issue("metadata", "invalid_type", "metadata must be an object of string keys to string values"))
        return None
    before = len(issues)
    if len(value) > MAX_METADATA_KEYS:
        issues.append(_issue("metadata", "too_many",
                             f"metadata holds at most {MAX_METADATA_KEYS} keys, not {len(value)}"))
    for key, text in value.items():
        param = f"metadata.{key}"
        if not 0 < len(key) <= MAX_METADATA_KEY_CHARS:
            issues.append(_issue(param, "invalid_key", f"metadata keys must be 1 to {MAX_METADATA_KEY_CHARS} characters"))
        if not isinstance(text, str):
            issues.append(_issue(param, "invalid_type", "metadata values must be strings"))
        elif len(text) > MAX_METADATA_VALUE_CHARS:
            issues.append(_issue(param, "too_long",
                                 f"metadata values must be at most {MAX_METADATA_VALUE_CHARS} characters"))
    return dict(sorted(value.items())) if len(issues) == before else None


def _references(value, issues: list) -> list[str]:
    if not isinstance(value, list):
        issues.append(_issue("reference_images", "invalid_type",
                             "reference_images must be an array of up to 6 strings (https URL, data URL or base64)"))
        return []
    if len(value) > MAX_REFERENCES:
        issues.append(_issue("reference_images", "too_many",
                             f"reference_images holds at most {MAX_REFERENCES} images, not {len(value)}"))
        return []
    urls = []
    for i, item in enumerate(value):
        param = f"reference_images[{i}]"
        if isinstance(item, str) and item.startswith("https://"):
            urls.append(item)
        else:
            # Inline images need their S3 staging, which this peer leaves out.
            issues.append(_issue(param, "invalid_reference", f"{param} must be an https URL (this peer stages no inline images)"))
    return urls


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_generation(body: str) -> dict:
    """The validated request (spec §3), in the field order of ours (the fingerprint's input)."""
    try:
        value = json.loads(body, parse_constant=_no_constants)
    except ValueError as e:
        raise ApiError(400, "invalid_request_error", "invalid_json_body", f"the body is not valid JSON: {e}") from None
    if not isinstance(value, dict):
        raise invalid_body([_issue("body", "invalid_type", "the body must be a JSON object")])
    issues: list[dict] = []
    _reject_unknown(value, FIELDS, "", issues)
    prompt = _present(value, "prompt")
    if prompt is None:
        issues.append(_issue("prompt", "required", "prompt is required: 1 to 5000 characters describing the ad"))
    else:
        prompt = _bounded_text(prompt, "prompt", MAX_PROMPT_CHARS, issues)
    references = _references(value["reference_images"], issues) if _present(value, "reference_images") is not None else []
    brand_id = _present(value, "brand_id")
    if brand_id is not None:
        try:
            brand_id = str(uuid.UUID(brand_id.strip())) if isinstance(brand_id, str) else None
        except ValueError:
            brand_id = None
        if brand_id is None:
            issues.append(_issue("brand_id", "invalid_uuid", "brand_id must be a brand's UUID"))
    identity = _present(value, "brand_identity_json")
    if identity is not None and (not isinstance(identity, dict)
                                 or len(_dumps(identity).encode()) > MAX_BRAND_IDENTITY_BYTES):
        issues.append(_issue("brand_identity_json", "invalid_type",
                             "brand_identity_json must be a JSON object of at most 32 KB"))
        identity = None
    output = _output(value["output"], issues) if _present(value, "output") is not None else {}
    client_reference_id = _present(value, "client_reference_id")
    if client_reference_id is not None:
        client_reference_id = _bounded_text(client_reference_id, "client_reference_id",
                                            MAX_CLIENT_REFERENCE_CHARS, issues)
    metadata = _metadata(value["metadata"], issues) if _present(value, "metadata") is not None else None
    if issues:
        raise invalid_body(issues)
    return {
        "prompt": prompt,
        "reference_images": [f"url:{u}" for u in references],
        "brand_id": brand_id,
        "brand_identity_json": identity,
        "output": output,
        "client_reference_id": client_reference_id,
        "metadata": metadata,
    }


def _job_item(job_id: str, org_id: str, request: dict, now: int) -> dict:
    """The item of `job_item` (adapters/aws/src/dynamo/jobs.rs) for a new, enqueued job."""
    doc = {
        "id": job_id,
        "org_id": org_id,
        "status": "queued",
        "client_reference_id": request["client_reference_id"],
        "metadata": request["metadata"],
        "payload": {
            "phase": "queued",
            "input": {
                "prompt": request["prompt"],
                "reference_image_count": len(request["reference_images"]),
                "has_brand_id": request["brand_id"] is not None,
                "has_brand_identity_json": request["brand_identity_json"] is not None,
                "output": request["output"],
            },
        },
        "result_url": None,
        "error_log": None,
        "created_at": now,
        "updated_at": now,
        "work": {
            "kind": "generation",
            "prompt": request["prompt"],
            "references": [{"kind": "url", "url": r[4:]} for r in request["reference_images"]],
            "brand_id": request["brand_id"],
            "brand_identity": request["brand_identity_json"] if request["brand_id"] is None else None,
            "output": request["output"],
        },
        "enqueued": True,
        "lease": None,
        "claims": 0,
        "diagnostics": {"steps": []},
        "events_dispatched": False,
    }
    return {
        "pk": {"S": f"JOB#{job_id}"},
        "sk": {"S": "JOB"},
        "org_id": {"S": org_id},
        "status": {"S": "queued"},
        "enqueued": {"BOOL": True},
        "events_dispatched": {"BOOL": False},
        "created_at": {"N": str(now)},
        "updated_at": {"N": str(now)},
        "claims": {"N": "0"},
        "doc": {"S": _dumps(doc)},
        "gsi2pk": {"S": "ACTIVE"},
        "gsi2sk": {"S": f"{now:012d}#{job_id}"},
    }


def _withdraw(job_id: str) -> None:
    """Takes back the job of a failed send (never claimed: nobody has seen it)."""
    try:
        dynamodb.delete_item(
            TableName=TABLE,
            Key={"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": "JOB"}},
            ConditionExpression="attribute_not_exists(#pk) OR (#status = :queued AND #claims = :zero)",
            ExpressionAttributeNames={"#pk": "pk", "#status": "status", "#claims": "claims"},
            ExpressionAttributeValues={":queued": {"S": "queued"}, ":zero": {"N": "0"}},
        )
    except (ClientError, BotoCoreError):
        logger.warning("submission failed and its job could not be withdrawn; the sweep runs it",
                       extra={"job_id": job_id})


@idempotent_function(data_keyword_argument="submission", config=idempotency_config, persistence_store=persistence)
def create_job(*, submission: dict, request_id: str, received_at: int) -> dict:
    """Writes and enqueues the job; its answer is what Powertools keeps under the key."""
    org_id, request = submission["org_id"], submission["request"]
    if request["brand_id"] is not None:
        brand = dynamodb.get_item(TableName=TABLE, ConsistentRead=True,
                                  Key={"pk": {"S": f"BRAND#{request['brand_id']}"}, "sk": {"S": "BRAND"}}).get("Item")
        if brand is None or brand["org_id"]["S"] != org_id:
            raise ApiError(400, "invalid_request_error", "brand_not_found",
                           "brand_id does not name a brand of your organisation", param="brand_id")
    job_id = str(uuid.uuid4())
    dynamodb.put_item(
        TableName=TABLE,
        Item=_job_item(job_id, org_id, request, received_at),
        ConditionExpression="attribute_not_exists(#pk)",
        ExpressionAttributeNames={"#pk": "pk"},
    )
    try:
        sqs.send_message(QueueUrl=QUEUE_URL, MessageBody=_dumps({"job_id": job_id, "org_id": org_id}))
    except Exception:
        _withdraw(job_id)
        raise
    metrics.add_dimension(name="JobType", value="ad_generation")
    metrics.add_metric(name="submitted", unit=MetricUnit.Count, value=1)
    body = _dumps({"id": request_id, "object": "job", "status": "queued", "created_at": received_at,
                   "data": {"job_id": job_id}})
    return {"status": 202, "request_id": request_id, "location": f"{JOBS_PREFIX}{job_id}", "body": body}


def _submit() -> Response:
    event = app.current_event
    request_id = _request_id()
    received_at = int(time.time())
    headers = event.headers
    org_id = authenticate(headers.get("authorization"))
    logger.append_keys(request_id=request_id, org_id=org_id)
    body = event.decoded_body or ""
    if len(body.encode()) > MAX_BODY_BYTES:
        raise ApiError(413, "invalid_request_error", "request_too_large",
                       f"the request body is larger than {MAX_BODY_BYTES} bytes; send large images by https URL")
    content_type = headers.get("content-type")
    if content_type is not None:
        mime = content_type.split(";", 1)[0].strip().lower()
        if not (mime == "application/json" or (mime.startswith("application/") and mime.endswith("+json"))):
            raise ApiError(415, "invalid_request_error", "unsupported_media_type",
                           "the body must be JSON sent with `Content-Type: application/json`", param="Content-Type")
    key = headers.get("idempotency-key")
    if key is not None and not (0 < len(key) <= 255 and all(" " <= c <= "~" for c in key)):
        raise ApiError(400, "invalid_request_error", "invalid_idempotency_key",
                       "Idempotency-Key must be 1 to 255 printable ASCII characters", param="Idempotency-Key")
    request = parse_generation(body)
    stored = create_job(submission={"org_id": org_id, "idempotency_key": key, "request": request},
                        request_id=request_id, received_at=received_at)
    replayed = stored.get("replayed", False)
    logger.info("idempotent replay" if replayed else "job accepted", extra={"status": stored["status"]})
    answer_headers = {"X-Request-Id": stored["request_id"], "Location": stored["location"]}
    if replayed:
        answer_headers["X-Idempotency-Replayed"] = "true"
    return Response(status_code=stored["status"], content_type="application/json", body=stored["body"],
                    headers=answer_headers)


app.post(GENERATIONS_PATH)(_submit)
app.post(ADS_GENERATE_PATH)(_submit)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@metrics.log_metrics
def handler(event: dict, context) -> dict:
    idempotency_config.register_lambda_context(context)
    app.append_context(request_id=f"req_pi_{uuid.uuid4()}")
    return app.resolve(event, context)
