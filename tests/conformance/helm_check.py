#!/usr/bin/env python3
"""Conformance harness for the site Helm chart, judged by the real consumers.

    python3 tests/conformance/helm_check.py CHART_DIR VALUES_FILE...
        [--kube-version 1.33.0] [--write-manifests DIR]

For each values file, in order, stopping at the first failing stage:

  1. read     the file with Helm's own values reader (helm_python.values_from_yaml,
              the `-f` path), refusing duplicate keys and any scalar that PyYAML
              (YAML 1.1) reads differently from Helm (an unquoted `no`, `1e3`, ...);
  2. schema   the file as written against the chart's values.schema.json
              (JSON Schema draft-07, Python jsonschema), then Helm's own
              Chart.validate_schema (which checks the values merged with the
              chart's defaults, so it cannot see a missing key by itself);
  3. render   Chart.render(values=..., name=<site.name>, namespace=<namespace>);
  4. lint     helm_python.lint(CHART_DIR, values, strict=True, ...): any error or
              warning fails;
  5. manifests  every rendered document parses, identically, with PyYAML and with
              Helm's (Go) YAML reader, has no duplicate key, and sits in
              `.Values.namespace`;
  6. kubernetes-validate --strict against one Kubernetes version it ships
              schemas for: every object must be reported as passed (a WARN, such
              as a missing schema, fails too);
  7. literals the values the chart promises to carry verbatim (customer, site
              name, env values, host, ...) come back byte-identical from the
              rendered objects.

Prints `ok VALUES_FILE (N manifests)` per passing file, or `FAIL VALUES_FILE:
STAGE: message` with details; exits 0 when all pass, 1 when any fails, 2 on a
usage error, a missing package or an unloadable chart. Nothing is ever skipped:
a missing package is a failure that names it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
from typing import Any

DEFAULT_KUBE_VERSION = "1.33.0"

# (import name, PyPI distribution) of everything the harness needs.
REQUIRED = [
    ("helm_python", "helm-python-sdk"),
    ("kubernetes_validate", "kubernetes-validate"),
    ("jsonschema", "jsonschema"),
    ("yaml", "PyYAML"),
]


def die(message: str, code: int = 2) -> None:
    print(f"error: {message}", file=sys.stderr, flush=True)
    sys.exit(code)


def import_required() -> dict[str, Any]:
    modules: dict[str, Any] = {}
    missing = []
    for module, dist in REQUIRED:
        try:
            modules[module] = importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"{dist} (import {module}: {exc})")
    if missing:
        here = os.path.relpath(os.path.join(os.path.dirname(__file__), "requirements.txt"))
        die(
            "missing Python package(s): "
            + "; ".join(missing)
            + f". Install them with: pip install -r {here}"
        )
    try:  # the SDK binds a native library; make sure it really loads
        modules["helm_python"].helm_sdk_version()
    except Exception as exc:  # noqa: BLE001 - any failure here is fatal
        die(f"helm-python-sdk is installed but its native library does not load: {exc}")
    return modules


MODULES = import_required()
helm = MODULES["helm_python"]
jsonschema = MODULES["jsonschema"]
yaml = MODULES["yaml"]
kv_utils = importlib.import_module("kubernetes_validate.utils")
kv_version = importlib.import_module("kubernetes_validate.version").__version__


class Failure(Exception):
    def __init__(self, stage: str, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.stage = stage
        self.message = message
        self.details = details or []


# --- YAML, read strictly ---------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate mapping keys."""


def _construct_mapping(loader: StrictLoader, node: Any, deep: bool = False) -> Any:
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen[key] = True
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two parsed documents disagree (type or value), as `path: a != b`."""
    where = path or "(root)"
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in a or key not in b:
                out.append(f"{sub}: present in only one reading")
            else:
                out.extend(differences(a[key], b[key], sub))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: lists of different lengths"]
        out = []
        for index, (x, y) in enumerate(zip(a, b)):
            out.extend(differences(x, y, f"{path}[{index}]"))
        return out
    numbers = (int, float)
    same_kind = (
        type(a) is type(b)
        or (isinstance(a, numbers) and isinstance(b, numbers)
            and not isinstance(a, bool) and not isinstance(b, bool))
    )
    if not same_kind or a != b:
        return [f"{where}: PyYAML reads {a!r}, Helm reads {b!r}"]
    return []


def read_values(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise Failure("read", f"cannot read the file: {exc}") from exc
    try:
        values = helm.values_from_yaml(text)
    except helm.HelmError as exc:
        raise Failure("read", "Helm cannot read the values", str(exc).splitlines()) from exc
    if not isinstance(values, dict):
        raise Failure("read", "the values file is not a mapping")
    try:
        pyyaml = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        raise Failure("read", "not strict YAML", str(exc).splitlines()) from exc
    diff = differences(pyyaml if pyyaml is not None else {}, values)
    if diff:
        raise Failure("read", "YAML 1.1 readers disagree (quote these scalars)", diff)
    return values


# --- schema -------------------------------------------------------------------


def check_schema(chart: Any, schema: dict[str, Any], values: dict[str, Any]) -> None:
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(values), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        details = []
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            details.append(f"{where}: {error.message}")
        raise Failure("schema", f"{len(errors)} violation(s) of values.schema.json", details)
    try:
        chart.validate_schema(values)
    except helm.HelmError as exc:
        raise Failure("schema", "Helm's schema validation failed", str(exc).splitlines()) from exc


# --- rendering and manifests ---------------------------------------------------

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
DOC_SEPARATOR = re.compile(r"(?:^|\n)---[ \t]*(?:#[^\n]*)?(?=\n|$)")


def split_documents(text: str) -> list[str]:
    return [doc for doc in DOC_SEPARATOR.split(text) if doc.strip()]


def parse_manifests(rendered: dict[str, str], namespace: str) -> list[tuple[str, str, dict]]:
    """(template, text, object) for every rendered Kubernetes object."""
    objects = []
    problems = []
    for template in sorted(rendered):
        text = rendered[template]
        if not template.endswith(MANIFEST_SUFFIXES) or not text.strip():
            continue
        for doc in split_documents(text):
            try:
                obj = yaml.load(doc, Loader=StrictLoader)  # noqa: S506
            except yaml.YAMLError as exc:
                problems.append(f"{template}: not valid YAML: {exc}")
                continue
            if obj is None:  # a document of comments only
                continue
            if not isinstance(obj, dict):
                problems.append(f"{template}: a document that is not a mapping")
                continue
            try:
                go = helm.values_from_yaml(doc)
            except helm.HelmError as exc:
                problems.append(f"{template}: Helm's YAML reader refuses it: {exc}")
                continue
            for diff in differences(obj, go):
                problems.append(f"{template}: {diff}")
            meta = obj.get("metadata") or {}
            label = f"{template}: {obj.get('kind')}/{meta.get('name')}"
            if not obj.get("apiVersion") or not obj.get("kind") or not meta.get("name"):
                problems.append(f"{label}: apiVersion, kind and metadata.name are required")
            if meta.get("namespace") != namespace:
                problems.append(
                    f"{label}: namespace {meta.get('namespace')!r}, expected {namespace!r}"
                )
            objects.append((template, doc, obj))
    if problems:
        raise Failure("manifests", "rendered manifests are not sound", problems)
    if not objects:
        raise Failure("manifests", "the chart rendered no Kubernetes object")
    return objects


def kubernetes_validate(objects: list[tuple[str, str, dict]], kube_version: str) -> None:
    with tempfile.TemporaryDirectory(prefix="helm-check-") as tmp:
        files = []
        for index, (template, doc, _) in enumerate(objects):
            name = f"{index:03d}-{os.path.basename(template)}"
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(doc)
            files.append(path)
        # The kubernetes-validate CLI, run by the interpreter running this file
        # (so it is the pinned install, whatever PATH holds).
        command = [sys.executable, "-m", "kubernetes_validate", "--strict",
                   "--kubernetes-version", kube_version, *files]
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
        output = (proc.stdout + proc.stderr).replace(tmp + os.sep, "")
    lines = [line for line in output.splitlines() if line.strip()]
    passed = [line for line in lines if line.startswith("INFO ") and " passed for " in line]
    bad = [line for line in lines if not (line.startswith("INFO ") and " passed for " in line)]
    if proc.returncode != 0 or bad or len(passed) != len(objects):
        details = bad or lines
        details.append(
            f"exit {proc.returncode}; {len(passed)} of {len(objects)} objects reported as passed"
        )
        raise Failure("kubernetes-validate", f"--strict against Kubernetes {kube_version} failed",
                      details)


def lint(chart_dir: str, values: dict[str, Any], namespace: str, kube_version: str) -> None:
    try:
        report = helm.lint(chart_dir, values, strict=True, namespace=namespace,
                           kube_version=f"v{kube_version}")
    except helm.HelmError as exc:
        raise Failure("lint", "helm lint could not run", str(exc).splitlines()) from exc
    severities = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}
    findings = [
        f"[{severities.get(m.get('severity'), m.get('severity'))}] {m.get('path')}: {m.get('error')}"
        for m in report.get("messages", [])
        if m.get("severity") != 1
    ]
    findings += [f"[ERROR] {e}" for e in report.get("errors", [])]
    if findings:
        raise Failure("lint", "helm lint --strict reported problems", findings)


# --- literal round trip -------------------------------------------------------


def check_literals(values: dict[str, Any], objects: list[tuple[str, str, dict]]) -> None:
    """The chart's promise: these values reach the objects byte for byte."""
    problems = []

    def expect(where: str, got: Any, want: Any) -> None:
        if not (isinstance(got, str) and got == want):
            problems.append(f"{where}: got {got!r}, want the literal string {want!r}")

    site = values.get("site", {})
    by_kind: dict[str, list[dict]] = {}
    for _, _, obj in objects:
        by_kind.setdefault(obj["kind"], []).append(obj)
        meta = obj.get("metadata", {})
        name = f"{obj['kind']}/{meta.get('name')}"
        labels = meta.get("labels") or {}
        annotations = meta.get("annotations") or {}
        expect(f"{name} label sitectl.dev/site", labels.get("sitectl.dev/site"), site.get("name"))
        expect(f"{name} label sitectl.dev/tier", labels.get("sitectl.dev/tier"), site.get("tier"))
        expect(f"{name} label sitectl.dev/deployment",
               labels.get("sitectl.dev/deployment"), site.get("deployment"))
        expect(f"{name} annotation sitectl.dev/customer",
               annotations.get("sitectl.dev/customer"), site.get("customer"))

    deployments = by_kind.get("Deployment", [])
    if len(deployments) != 1:
        problems.append(f"expected one Deployment, found {len(deployments)}")
    else:
        container = deployments[0]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e for e in container.get("env", [])}
        for key, want in (values.get("env") or {}).items():
            expect(f"Deployment env {key}", env.get(key, {}).get("value"), want)
        for key, ref in (values.get("secretEnv") or {}).items():
            got = env.get(key, {}).get("valueFrom", {}).get("secretKeyRef", {})
            expect(f"Deployment secretEnv {key}.name", got.get("name"), ref.get("name"))
            expect(f"Deployment secretEnv {key}.key", got.get("key"), ref.get("key"))
        for key in ("host", "name", "user"):
            want = (values.get("database") or {}).get(key)
            expect(f"Deployment env DATABASE_{key.upper()}",
                   env.get(f"DATABASE_{key.upper()}", {}).get("value"), want)
        image = values.get("image", {})
        expect("Deployment image", container.get("image"),
               f"{image.get('repository')}:{image.get('tag')}")

    ingress = values.get("ingress") or {}
    if ingress.get("enabled"):
        rules = [r.get("host") for o in by_kind.get("Ingress", []) for r in o["spec"]["rules"]]
        if rules != [ingress.get("host")]:
            problems.append(f"Ingress hosts {rules!r}, want [{ingress.get('host')!r}]")

    persistence = values.get("persistence") or {}
    claims = by_kind.get("PersistentVolumeClaim", [])
    if persistence.get("enabled"):
        if [c["metadata"]["name"] for c in claims] != [persistence.get("claimName")]:
            problems.append(f"PersistentVolumeClaim should be {persistence.get('claimName')!r}")
        for claim in claims:
            expect("PersistentVolumeClaim annotation helm.sh/resource-policy",
                   claim["metadata"]["annotations"].get("helm.sh/resource-policy"), "keep")
            expect("PersistentVolumeClaim annotation argocd.argoproj.io/sync-options",
                   claim["metadata"]["annotations"].get("argocd.argoproj.io/sync-options"),
                   "Prune=false,Delete=false")
    elif claims:
        problems.append("a PersistentVolumeClaim was rendered with persistence off")

    account = values.get("serviceAccount") or {}
    for obj in by_kind.get("ServiceAccount", []):
        for key, want in (account.get("annotations") or {}).items():
            expect(f"ServiceAccount annotation {key}",
                   obj["metadata"]["annotations"].get(key), want)

    if problems:
        raise Failure("literals", "values did not come back as literal strings", problems)


# --- driver -------------------------------------------------------------------


def check_file(chart_dir: str, chart: Any, schema: dict[str, Any], path: str,
               kube_version: str, write_to: str | None = None) -> int:
    values = read_values(path)
    check_schema(chart, schema, values)
    name = values["site"]["name"]
    namespace = values["namespace"]
    try:
        helm.validate_release_name(name)
        rendered = chart.render(values=values, name=name, namespace=namespace)
    except helm.HelmError as exc:
        raise Failure("render", "Helm could not render the chart", str(exc).splitlines()) from exc
    lint(chart_dir, values, namespace, kube_version)
    objects = parse_manifests(rendered, namespace)
    kubernetes_validate(objects, kube_version)
    check_literals(values, objects)
    if write_to:
        # The rendered manifests, one file per site, for other checkers (checkov).
        os.makedirs(write_to, exist_ok=True)
        with open(os.path.join(write_to, f"{name}.yaml"), "w", encoding="utf-8") as out:
            out.write("\n---\n".join(text for _, text, _ in objects))
    return len(objects)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Check Helm values files against the site chart with Helm's engine "
        "(helm-python-sdk) and kubernetes-validate --strict.")
    parser.add_argument("chart_dir", metavar="CHART_DIR")
    parser.add_argument("values_files", metavar="VALUES_FILE", nargs="+")
    parser.add_argument("--write-manifests", metavar="DIR",
                        help="also write each site's rendered manifests to DIR/<site>.yaml")
    parser.add_argument("--kube-version", default=DEFAULT_KUBE_VERSION,
                        help=f"Kubernetes version to validate against (default {DEFAULT_KUBE_VERSION})")
    args = parser.parse_args(argv)

    kube_version = args.kube_version.lstrip("v")
    supported = kv_utils.all_versions()
    if kv_utils.major_minor(kube_version) not in {kv_utils.major_minor(v) for v in supported}:
        die(f"kubernetes-validate {kv_version} ships no schemas for Kubernetes {kube_version} "
            f"(it has {supported[0]} to {supported[-1]})")

    schema_path = os.path.join(args.chart_dir, "values.schema.json")
    try:
        with open(schema_path, encoding="utf-8") as handle:
            schema = json.load(handle)
        jsonschema.Draft7Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as exc:
        die(f"{schema_path}: not a usable draft-07 schema: {exc}")
    try:
        chart = helm.Chart.load(args.chart_dir)
    except helm.HelmError as exc:
        die(f"{args.chart_dir}: Helm cannot load the chart: {exc}")

    print(f"# helm {helm.helm_sdk_version()} (helm-python-sdk {helm.__version__}), "
          f"kubernetes-validate {kv_version} --strict, Kubernetes {kube_version}, "
          f"chart {chart.name} {chart.version}", flush=True)
    failed = 0
    with chart:
        for path in args.values_files:
            try:
                count = check_file(args.chart_dir, chart, schema, path, kube_version,
                                   args.write_manifests)
            except Failure as failure:
                failed += 1
                print(f"FAIL {path}: {failure.stage}: {failure.message}", flush=True)
                for line in failure.details:
                    print(f"    {line}", flush=True)
                continue
            print(f"ok {path} ({count} manifests)", flush=True)
    if failed:
        print(f"{failed} of {len(args.values_files)} values file(s) failed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
