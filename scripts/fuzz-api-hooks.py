"""Schemathesis hooks for `npm run fuzz:api` (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz-api.ts).

Schemathesis draws Idempotency-Key values from a small space ("0", "00", ...), so unrelated requests
would share a key and be refused, as the API must, with 422 idempotency_key_reused. A well-formed
key is made unique per request; malformed keys are left alone so their rejection is still fuzzed.
Key reuse itself is covered by tests/idempotency.test.ts.
"""

import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"[\x21-\x7e]{1,255}")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and WELL_FORMED.fullmatch(key):
        case.headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4().hex}"
