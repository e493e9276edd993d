"""Writes the schemathesis.toml of scripts/schemathesis.sh: real identifiers of the demo.

Ids generated at random only ever reach "404 not found", so the handlers behind them go
untested. This asks the running server, as the demo's admin, officer, supplier and insurer,
for the ids the demo made (its eight rounds in every state, their lots, the supplier's bids,
contracts, organisations, users, jobs, catalog codes, settlement batches, payment orders
and disputes) and binds them as schemathesis
dictionaries to the parameters that take them: half the generated values of such a
parameter are then real ids, the other half stays generated (malformed ones included).

    python dictionaries.py BASE_URL PASSWORD OUT.toml

Prints the email of the supplier the supplier pass should run as: the first demo supplier
with sealed bids in the round open for bids (supplier@vbp.demo makes none), so that its
bids can be withdrawn and replaced.
"""

import json
import sys
import urllib.error
import urllib.request

PROBABILITY = 0.5
# the same cap per dictionary keeps the generated file small and the draws varied
MAX_ENTRIES = 40


def call(base, path, token=None, body=None):
    headers = {"accept": "application/json"}
    data = None
    if body is not None:
        headers["content-type"] = "application/json"
        data = json.dumps(body).encode()
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.load(resp)
    except urllib.error.HTTPError:
        return None


def login(base, email, password):
    answer = call(base, "/api/v1/auth/login", body={"email": email, "password": password})
    if answer is None:
        sys.exit(f"cannot log in as {email}")
    return answer["access_token"]


def items(page):
    if isinstance(page, dict):
        return page.get("items", [])
    return page if isinstance(page, list) else []


def add(target, value):
    if isinstance(value, (str, int)) and value != "" and value not in target and len(target) < MAX_ENTRIES:
        target.append(value)


def main():
    base, password, out = sys.argv[1:]
    token = {}
    for role in ("admin", "officer", "supplier", "insurer"):
        token[role] = login(base, f"{role}@vbp.demo", password)

    d = {name: [] for name in ("rounds", "lots", "bids", "contracts", "orgs", "users", "jobs", "codes",
                               "batches", "payment_orders", "disputes", "hospitals", "delivery_lines")}
    rounds = items(call(base, "/api/v1/rounds?per_page=200", token["officer"]))
    for r in rounds:
        add(d["rounds"], r.get("id"))
    for rid in list(d["rounds"]):
        for lot in items(call(base, f"/api/v1/rounds/{rid}/lots", token["officer"])):
            add(d["lots"], lot.get("id"))
            add(d["codes"], lot.get("code"))
    supplier = "supplier@vbp.demo"
    open_rounds = [r["id"] for r in rounds if r.get("status") == "bidding_open"]
    for email in ["supplier@vbp.demo"] + [f"supplier{n}@vbp.demo" for n in range(2, 13)]:
        tok = login(base, email, password)
        mine = [b for rid in open_rounds for b in items(call(base, f"/api/v1/rounds/{rid}/bids", tok))]
        if mine:
            supplier = email
            for bid in mine:
                add(d["bids"], bid.get("bid_id") or bid.get("id"))
            break
    for c in items(call(base, "/api/v1/contracts?per_page=200", token["officer"])):
        add(d["contracts"], c.get("id"))
    for o in items(call(base, "/api/v1/orgs?per_page=200", token["admin"])):
        add(d["orgs"], o.get("id"))
    for u in items(call(base, "/api/v1/users?per_page=200", token["admin"])):
        add(d["users"], u.get("id"))
    for status in ("dead", "failed", "pending", "done"):
        for j in items(call(base, f"/api/v1/admin/jobs?status={status}&per_page=10", token["admin"])):
            add(d["jobs"], j.get("id"))
    for i in items(call(base, "/api/v1/catalog/items?per_page=20", token["officer"])):
        add(d["codes"], i.get("code"))
    # settlement: Beijing's batches, payment orders, disputes, hospitals and accepted lines
    for b in items(call(base, "/api/v1/settlements/batches", token["insurer"])):
        add(d["batches"], b.get("id"))
    for o in items(call(base, "/api/v1/settlements/payment-orders", token["insurer"])):
        add(d["payment_orders"], o.get("id"))
    for x in items(call(base, "/api/v1/settlements/disputes", token["insurer"])):
        add(d["disputes"], x.get("id"))
        add(d["delivery_lines"], x.get("delivery_line_id"))
    for o in items(call(base, "/api/v1/orgs?per_page=200", token["admin"])):
        if o.get("kind") == "hospital":
            add(d["hospitals"], o.get("id"))
    for x in items(call(base, "/api/v1/settlements/overdue", token["insurer"])):
        add(d["delivery_lines"], x.get("delivery_line_id"))

    # (operations, by a regular expression on their path) -> {parameter: dictionary}
    bindings = [
        (r"^/api/v1/rounds/\{id\}", {"path.id": "rounds", "path.lot_id": "lots", "path.bid_id": "bids"}),
        (r"^/api/v1/contracts/\{id\}", {"path.id": "contracts"}),
        (r"^/api/v1/contracts$", {"query.round_id": "rounds", "query.lot_id": "lots", "query.supplier_org_id": "orgs"}),
        (r"^/api/v1/orgs/\{id\}", {"path.id": "orgs"}),
        (r"^/api/v1/users/\{id\}", {"path.id": "users"}),
        (r"^/api/v1/users$", {"query.org_id": "orgs"}),
        (r"^/api/v1/admin/jobs/\{id\}", {"path.id": "jobs"}),
        (r"^/api/v1/catalog/items/\{code\}", {"path.code": "codes"}),
        (r"^/api/v1/supplier-bars$", {"query.org_id": "orgs"}),
        (r"^/api/v1/audit$", {"query.actor_user_id": "users"}),
        (r"^/api/v1/settlements/batches/\{id\}", {"path.id": "batches"}),
        (r"^/api/v1/settlements/payment-orders/\{id\}", {"path.id": "payment_orders"}),
        (r"^/api/v1/settlements/payment-orders$", {"query.batch_id": "batches"}),
        (r"^/api/v1/settlements/disputes/\{id\}", {"path.id": "disputes"}),
        (r"^/api/v1/settlements/ledgers/\{hospital_org_id\}", {"path.hospital_org_id": "hospitals"}),
        (r"^/api/v1/settlements/statements/hospitals/", {"path.org_id": "hospitals"}),
        (r"^/api/v1/settlements/statements/suppliers/", {"path.org_id": "orgs"}),
        (r"^/api/v1/settlements/(prepayments|retained-savings)$", {"query.round_id": "rounds"}),
    ]
    lines = ["# generated by tests/schemathesis/dictionaries.py for one run; see there", ""]
    for name, values in d.items():
        if values:
            lines += [f"[dictionaries.{name}]", "values = [" + ", ".join(json.dumps(v) for v in values) + "]", ""]
    for regex, params in bindings:
        bound = {k: v for k, v in params.items() if d[v]}
        if not bound:
            continue
        lines += ["[[operations]]", f"include-path-regex = {json.dumps(regex)}"]
        lines.append(
            "parameters = { "
            + ", ".join(f'"{k}" = {{ dictionary = "{v}", probability = {PROBABILITY} }}' for k, v in bound.items())
            + " }"
        )
        lines.append("")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    print(", ".join(f"{len(v)} {k}" for k, v in d.items()), file=sys.stderr)
    print(supplier)


if __name__ == "__main__":
    main()
