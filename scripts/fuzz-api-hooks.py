"""Schemathesis hooks for `npm run fuzz:api` (loaded through SCHEMATHESIS_HOOKS by scripts/fuzz-api.ts).

Schemathesis draws Idempotency-Key values from a small space ("0", "00", ...), so unrelated requests
would share a key and be refused, as the API must, with 422 idempotency_key_reused. A well-formed
key is made unique per request; malformed keys are left alone so their rejection is still fuzzed.
Key reuse itself is covered by tests/idempotency.test.ts.

Credentials: the configured ones (the fuzz account's key, an admin staff token) are swapped, only
when the case carries them unchanged (fuzzed or removed credentials are left alone), for
- the credential of its own the launcher made for each operation that ends its credential
  (terminating the account, revoking a key, signing a staff session out, disabling a staff user),
  so the rest of the run keeps working credentials (FUZZ_ISOLATED_CREDENTIALS: operation -> token);
- a staff token of a role the operation admits when it does not admit admin (FUZZ_STAFF_TOKENS: role -> token).
The holder's session cookie (holderSession scheme, FUZZ_HOLDER_SESSION) is swapped the same way for
the holder operations that end their session (signing out, revoking sessions, changing the password),
and a change that carries it also carries Sec-Fetch-Site: same-origin, as the browser page would (the
CSRF check itself is covered by tests/holder-sessions.test.ts).
Path parameters naming the fuzz account or a standing staff user (learnt through links, e.g. from
GET /v1/account) are replaced by a decoy's id (FUZZ_DECOYS: id -> decoy id), so a staff operation
cannot terminate the account or disable the users the rest of the run authenticates as.
"""

import json
import os
import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"[\x21-\x7e]{1,255}")
CONFIGURED = {f"Bearer {os.environ.get('FUZZ_API_KEY', '')}", f"Bearer {os.environ.get('FUZZ_STAFF_TOKEN', '')}"}
ISOLATED = json.loads(os.environ.get("FUZZ_ISOLATED_CREDENTIALS", "{}"))
STAFF_TOKENS = json.loads(os.environ.get("FUZZ_STAFF_TOKENS", "{}"))
DECOYS = json.loads(os.environ.get("FUZZ_DECOYS", "{}"))
HOLDER_COOKIE = "__Host-mss_session"
HOLDER_SESSION = os.environ.get("FUZZ_HOLDER_SESSION", "")


def _staff_roles(case):
    security = (case.operation.definition.raw or {}).get("security") or []
    return [role for requirement in security for role in requirement.get("staffToken", [])]


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and WELL_FORMED.fullmatch(key):
        case.headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4().hex}"
    params = case.path_parameters or {}
    for name, value in list(params.items()):
        if isinstance(value, str) and value in DECOYS:
            case.path_parameters[name] = DECOYS[value]
    name = f"{case.method.upper()} {case.operation.path}"
    cookies = case.cookies or {}
    if HOLDER_SESSION and cookies.get(HOLDER_COOKIE) == HOLDER_SESSION:
        if name in ISOLATED:
            case.cookies[HOLDER_COOKIE] = ISOLATED[name]
        if case.method.upper() != "GET":
            case.headers = {**(case.headers or {}), "Sec-Fetch-Site": "same-origin"}
    if headers.get("Authorization") not in CONFIGURED:
        return
    if name in ISOLATED:
        case.headers["Authorization"] = f"Bearer {ISOLATED[name]}"
        return
    roles = _staff_roles(case)
    if roles and "admin" not in roles:
        case.headers["Authorization"] = f"Bearer {STAFF_TOKENS[roles[0]]}"
