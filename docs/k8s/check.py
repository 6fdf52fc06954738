#!/usr/bin/python3
"""Checks the manifests in this folder: every YAML document parses, every Kubernetes
object has apiVersion, kind and a name, the HPA scales a metric an adapter rule
defines, and every metric the rules read is one hiedge exports (named in
src/server/metrics.cc). Run by ctest (k8s_manifests)."""
import pathlib, re, sys
import yaml

here = pathlib.Path(__file__).resolve().parent
source = (here.parents[1] / "src" / "server" / "metrics.cc").read_text()
exported = set(re.findall(r'"((?:nv_inference|hiedge)_[a-z_]+)"', source))
objects = list(yaml.safe_load_all((here / "hiedge.yaml").read_text()))
rules = yaml.safe_load((here / "adapter-rules.yaml").read_text())["rules"]
errors = []
for o in objects:
    for field in ("apiVersion", "kind", "metadata"):
        if field not in o:
            errors.append(f"object without {field}: {o}")
    if not o.get("metadata", {}).get("name"):
        errors.append(f"{o.get('kind')} without a name")
kinds = {o["kind"] for o in objects}
for kind in ("Deployment", "Service", "HorizontalPodAutoscaler"):
    if kind not in kinds:
        errors.append(f"no {kind}")
defined = {r["name"]["as"] for r in rules}
for o in objects:
    if o["kind"] == "HorizontalPodAutoscaler":
        for m in o["spec"]["metrics"]:
            name = m["pods"]["metric"]["name"]
            if name not in defined:
                errors.append(f"HPA metric {name} is not defined by an adapter rule")
for r in rules:
    for metric in re.findall(r"(?:nv_inference|hiedge)_[a-z_]+", r["seriesQuery"] + r["metricsQuery"]):
        if metric not in exported:
            errors.append(f"adapter rule reads {metric}, which hiedge does not export")
deployment = next(o for o in objects if o["kind"] == "Deployment")
container = deployment["spec"]["template"]["spec"]["containers"][0]
if container["readinessProbe"]["httpGet"]["path"] != "/v2/health/ready":
    errors.append("readiness must follow the drain: /v2/health/ready")
print("\n".join(errors) if errors else f"ok: {len(objects)} objects, {len(rules)} adapter rule(s)")
sys.exit(1 if errors else 0)
