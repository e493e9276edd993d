"""Validates an OCDS 1.1 release package against the official schema.

    python validate_ocds.py SCHEMA_DIR PACKAGE.json [--extension-field PATH_PREFIX ...]

SCHEMA_DIR holds release-package-schema.json and release-schema.json (OCDS 1.1.5,
installed by scripts/ocds-schema.sh). Checks, each reported with its JSON path:
  * JSON Schema draft 4 validation of the package, with the date-time and uri formats;
  * OCDS rules the schema cannot express: version 1.1, unique release ids per ocid,
    unique ids in every array of objects, organisation references that name a party,
    contracts whose awardID names an award;
  * fields the core release schema does not define: allowed only under the given
    extension prefixes (e.g. $.releases[*].tender.lots for the lots extension).
Exit 0 when valid (one summary line), 1 with every error otherwise.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4


def jpath(parts):
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def undeclared(data, node, release, path):
    """Paths of properties the schema does not declare (it allows them, extensions add them)."""
    while "$ref" in node:
        node = release["definitions"][node["$ref"].split("/")[-1]]
    if isinstance(data, dict) and "properties" in node:
        for key, value in data.items():
            if key in node["properties"]:
                yield from undeclared(value, node["properties"][key], release, path + [key])
            elif not any(re.search(p, key) for p in node.get("patternProperties", {})):
                yield jpath(path + [key])
    elif isinstance(data, list) and isinstance(node.get("items"), dict):
        for i, item in enumerate(data):
            yield from undeclared(item, node["items"], release, path + [i])


def ocds_rules(pkg):
    errors = []
    if pkg.get("version") != "1.1":
        errors.append(f"$.version: expected '1.1', got {pkg.get('version')!r}")
    releases = [r for r in pkg.get("releases", []) if isinstance(r, dict)]
    for (ocid, rid), n in Counter((r.get("ocid"), r.get("id")) for r in releases).items():
        if n > 1:
            errors.append(f"$.releases: release id {rid!r} used {n} times for ocid {ocid!r}")

    def walk(obj, path):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, path + [k])
        elif isinstance(obj, list):
            ids = Counter(str(o["id"]) for o in obj if isinstance(o, dict) and "id" in o)
            errors.extend(f"{jpath(path)}: id {i!r} repeated ({n} times)" for i, n in ids.items() if n > 1)
            for i, v in enumerate(obj):
                walk(v, path + [i])

    for i, r in enumerate(releases):
        p = ["releases", i]
        walk(r, p)
        if not re.match(r"^ocds-[a-z0-9]{6}-", str(r.get("ocid", ""))):
            errors.append(f"{jpath(p + ['ocid'])}: no 'ocds-xxxxxx-' prefix")
        parties = {str(x.get("id")) for x in r.get("parties") or [] if isinstance(x, dict)}
        tender, awards = r.get("tender") or {}, r.get("awards") or []
        refs = [(p + ["buyer"], r.get("buyer")), (p + ["tender", "procuringEntity"], tender.get("procuringEntity"))]
        refs += [(p + ["tender", "tenderers", j], o) for j, o in enumerate(tender.get("tenderers") or [])]
        refs += [(p + ["awards", j, "suppliers", k], o) for j, a in enumerate(awards)
                 for k, o in enumerate(a.get("suppliers") or [])]
        bids = r.get("bids") or {}
        refs += [(p + ["bids", "details", j, "tenderers", k], o) for j, b in enumerate(bids.get("details") or [])
                 for k, o in enumerate(b.get("tenderers") or [])]
        for rp, ref in refs:
            if isinstance(ref, dict) and str(ref.get("id")) not in parties:
                errors.append(f"{jpath(rp)}.id: {ref.get('id')!r} names no party")
        award_ids = {str(a.get("id")) for a in awards}
        for j, c in enumerate(r.get("contracts") or []):
            if str(c.get("awardID")) not in award_ids:
                errors.append(f"{jpath(p + ['contracts', j, 'awardID'])}: {c.get('awardID')!r} names no award")
        lot_ids = {str(l.get("id")) for l in tender.get("lots") or []}
        if lot_ids:
            for j, a in enumerate(awards):
                for lot in a.get("relatedLots") or []:
                    if str(lot) not in lot_ids:
                        errors.append(f"{jpath(p + ['awards', j, 'relatedLots'])}: {lot!r} names no lot")
    return errors


def main(argv):
    args, allowed = [], []
    it = iter(argv)
    for a in it:
        if a == "--extension-field":
            allowed.append(next(it))
        else:
            args.append(a)
    if len(args) != 2:
        sys.exit(__doc__)
    schema_dir, package_file = args
    package_schema = json.loads(Path(schema_dir, "release-package-schema.json").read_text("utf-8"))
    release_schema = json.loads(Path(schema_dir, "release-schema.json").read_text("utf-8"))
    release_url = package_schema["properties"]["releases"]["items"]["$ref"]
    resource = Resource.from_contents(release_schema, default_specification=DRAFT4)
    registry = Registry().with_resources([(release_url, resource), (release_schema["id"], resource)])
    validator = Draft4Validator(package_schema, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER)
    for fmt in ("date-time", "uri"):
        if fmt not in Draft4Validator.FORMAT_CHECKER.checkers:
            sys.exit(f"the {fmt} format checker is missing (install rfc3339-validator and rfc3987)")
    pkg = json.loads(Path(package_file).read_text("utf-8"))

    errors = []
    for e in sorted(validator.iter_errors(pkg), key=lambda e: [str(p) for p in e.absolute_path]):
        errors.append(f"{e.json_path}: {e.message[:300]}")
        for sub in e.context or []:
            errors.append(f"    {sub.json_path}: {sub.message}")
    errors += ocds_rules(pkg)
    patterns = [re.compile("^" + re.escape(a).replace(r"\[\*\]", r"\[\d+\]") + r"(\.|\[|$)") for a in allowed]
    extension_fields = 0
    for i, r in enumerate(pkg.get("releases") or []):
        for path in undeclared(r, release_schema, release_schema, ["releases", i]):
            if any(p.match(path) for p in patterns):
                extension_fields += 1
            else:
                errors.append(f"{path}: not in the OCDS 1.1 release schema nor a declared extension field")
    for e in errors:
        print("ERROR", e)
    if errors:
        print(f"INVALID: {package_file}: {len(errors)} error(s)", file=sys.stderr)
        return 1
    print(f"VALID: {len(pkg['releases'])} release(s) against {release_url}; "
          f"{extension_fields} extension field(s) in declared places")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
