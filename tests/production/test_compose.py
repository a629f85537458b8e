"""compose.yaml runs the files tests/production/ runs: same templates, every placeholder given."""

from __future__ import annotations

import re
from typing import Any

import yaml

from orchestrator.root.procs import IGNORED_WEBHOOKS, LiveKitKeys, livekit_config
from tests.harness import ROOT
from tests.production.layout import LIVEKIT_TEMPLATE, NGINX_TEMPLATE

PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_the_proxy_mounts_the_tested_nginx_file_and_fills_in_all_of_it() -> None:
    proxy = compose()["services"]["proxy"]
    source = NGINX_TEMPLATE.relative_to(ROOT)
    assert any(v.startswith(f"./{source}:/etc/nginx/templates/") for v in proxy["volumes"])
    assert placeholders(NGINX_TEMPLATE.read_text()) <= set(proxy["environment"])


def test_both_livekit_nodes_run_the_tested_config_filled_in_once() -> None:
    services = compose()["services"]
    render = services["livekit-config"]
    command = " ".join(render["entrypoint"])
    # envsubst gets exactly the template's placeholders (compose's $$ is a literal $).
    listed = set(re.findall(r"\$\$\{([A-Z0-9_]+)\}", command))
    assert listed == placeholders(LIVEKIT_TEMPLATE.read_text()) <= set(render["environment"])
    assert f"/deploy/{LIVEKIT_TEMPLATE.name}" in command
    for node in ("livekit-1", "livekit-2"):
        service = services[node]
        assert service["command"] == ["--config", "/etc/livekit/livekit.yaml"]
        assert {"LIVEKIT_KEYS", "LIVEKIT_REDIS_ADDRESS", "NODE_IP", "UDP_PORT",
                "LIVEKIT_WEBHOOK_API_KEY"} <= set(service["environment"])


def test_production_and_loopback_livekit_leave_out_the_same_ignored_webhooks() -> None:
    template: dict[str, Any] = yaml.safe_load(PLACEHOLDER.sub("x", LIVEKIT_TEMPLATE.read_text()))
    loopback: dict[str, Any] = livekit_config(
        port=7880, udp_port=7882, keys=LiveKitKeys("k", "s" * 40),
        webhook_url="http://127.0.0.1:8080/webhooks/livekit")
    for config in (template, loopback):
        assert config["webhook"]["filter_params"] == {"exclude_events": list(IGNORED_WEBHOOKS)}


def test_onlives_redis_keeps_an_append_only_file_synced_before_each_ack() -> None:
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "always"


def test_the_worker_image_is_built_from_scripts() -> None:
    build = compose()["services"]["orchestrator"]["build"]
    assert (ROOT / build["dockerfile"]).is_file()
    assert not (ROOT / "Dockerfile").exists()
