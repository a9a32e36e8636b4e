"""The Kubernetes manifests in deploy/kubernetes: well formed, wired to each other (Service to
pods, probes to ports, the store URL to the Redis Service), and the Vox configuration they carry
accepted by `vox config check` itself."""

import subprocess
from pathlib import Path

import yaml

from conftest import ROOT, vox_binary

MANIFESTS = ROOT / "deploy" / "kubernetes"


def documents():
    docs = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return docs


def find(kind, name):
    matches = [d for d in documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def test_every_document_is_a_named_kubernetes_object():
    docs = documents()
    assert {d["kind"] for d in docs} >= {"Deployment", "Service", "ConfigMap"}
    for doc in docs:
        assert doc["apiVersion"] and doc["metadata"]["name"], doc


def test_services_select_their_pods_and_name_real_ports():
    for service_name, deployment_name in [("vox", "vox"), ("vox-redis", "vox-redis")]:
        service, deployment = find("Service", service_name), find("Deployment", deployment_name)
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        assert service["spec"]["selector"].items() <= labels.items()
        ports = {p["name"] for c in deployment["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports, (service_name, port)


def test_vox_is_ready_on_readyz_and_has_room_for_its_models():
    deployment = find("Deployment", "vox")
    assert deployment["spec"]["replicas"] >= 2
    container = next(c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "vox")
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    named_ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["port"] in named_ports
    assert container["resources"]["requests"]["memory"] == "2Gi"
    keys = next(e for e in container["env"] if e["name"] == "VOX_API_KEYS")
    assert keys["valueFrom"]["secretKeyRef"]["name"] == "vox-keys"


def test_the_configuration_is_accepted_by_vox_and_points_at_the_redis_service(tmp_path):
    config = find("ConfigMap", "vox-config")["data"]["vox.toml"]
    redis = find("Service", "vox-redis")
    assert f'store = "redis://vox-redis:{redis["spec"]["ports"][0]["port"]}/0"' in config
    container = next(c for c in find("Deployment", "vox")["spec"]["template"]["spec"]["containers"] if c["name"] == "vox")
    mount = next(m for m in container["volumeMounts"] if m["name"] == "config")["mountPath"]
    assert container["args"] == ["serve", "--config", f"{mount}/vox.toml"]
    assert config.split('addr = "')[1].split(":")[1].startswith(str(container["ports"][0]["containerPort"]))
    # `vox config check` reads the file alone; the keys the Secret gives the pod stand here.
    path = tmp_path / "vox.toml"
    path.write_text('api_keys = ["sk-from-the-secret"]\n' + config)
    checked = subprocess.run([vox_binary(), "config", "check", str(path)], capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert checked.returncode == 0, checked.stderr
    assert 'store = "redis://vox-redis:6379/0"' in checked.stdout
