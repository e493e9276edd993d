"""Schemathesis hooks for scripts/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

Keeps the fuzzer from locking itself out: a generated `PATCH /api/v1/users/{id}` whose id
is the account the run is authenticated as (schemathesis learns it from `GET /me` and the
user lists) and whose body carries `password` would reset that account's password, which
ends all its sessions at once; every later request would then be a 401. Only the
`password` member is dropped, and only for that one id: the operation is fuzzed otherwise
(self-deactivation, for instance, is refused with 422 and stays tested).

The protected ids come from VBP_SCHEMATHESIS_PROTECTED_USERS (comma-separated UUIDs).
"""

import os

import schemathesis

PROTECTED = {
    part.strip().lower()
    for part in os.environ.get("VBP_SCHEMATHESIS_PROTECTED_USERS", "").split(",")
    if part.strip()
}


@schemathesis.hook
def before_call(context, case, kwargs):
    if not PROTECTED or case.method.upper() != "PATCH" or not case.path.endswith("/users/{id}"):
        return
    user_id = str((case.path_parameters or {}).get("id", "")).lower()
    if user_id in PROTECTED and isinstance(case.body, dict):
        case.body.pop("password", None)
