"""Every copy of the closed vocabulary agrees with the collector's.

The probe zip, the collector zip and the extension layer are self-contained, so each declares its own copy;
Python elsewhere imports the data layer's (`datastore.vocabulary`, called `collector` here: the collector zip
carries it). The copies that cannot import it are compared here: the probe's,
the extension's, the lab's CPU-emulation modes, Terraform's validation lists and defaults, the dashboard's
labels, the contract and the probe's README. Terraform and Markdown are read as text; a list that moved or
changed its form fails the test rather than going unchecked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from collector import contract
from dashboard import charts, labels, variants
from datastore import vocabulary as collector
from functions.probe import config as probe_config
from functions.probe import strategies
from functions.probe import vocabulary as probe
from lab.extension import vocabulary as extension
from lab.runtime import cgroups
from tools import build

REPO = Path(__file__).resolve().parents[2]
MODULE = REPO / "terraform" / "modules" / "observatory"
ENVS = REPO / "terraform" / "envs"
NO_SSM = {name for name, stores in probe.STORES_BY_STRATEGY.items() if "ssm" not in stores}


# ------------------------------------------------------------------------------------------------ python
NAMES = [
    "STRATEGIES",
    "STORES",
    "ARCHITECTURES",
    "ENVIRONMENTS",
    "CPU_EMULATIONS",
    "COLD_CAUSES",
    "MISS_GUARANTEES",
    "PHASES",
    "TRACING",
    "OTEL_TRACING",
    "OTEL_RUNTIMES",
    "LAB_RUNTIMES",
    "DEFAULT_TRACING",
    "MIN_MEMORY_MB",
    "MAX_MEMORY_MB",
    "PREFETCH_STRATEGIES",
    "PREFETCH_SUFFIX",
]


@pytest.mark.parametrize("name", NAMES)
def test_the_probe_declares_what_the_collector_declares(name: str) -> None:
    assert getattr(probe, name) == getattr(collector, name)


def test_the_memory_range_is_lambda_s_and_the_probe_checks_it() -> None:
    """The collector's contract imports the range from the vocabulary; the probe keeps its copy (above)."""
    assert (collector.MIN_MEMORY_MB, collector.MAX_MEMORY_MB) == (128, 10_240)
    env = {
        "OBSERVATORY_STRATEGY": "dict", "OBSERVATORY_ARCHITECTURE": "x86_64",
        "OBSERVATORY_ENVIRONMENT": "aws", "OBSERVATORY_SECRET_ID": "s", "OBSERVATORY_PARAMETER_NAME": "/p",
        "AWS_REGION": "us-east-1",
    }  # fmt: skip
    size = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
    for memory in (collector.MIN_MEMORY_MB, collector.MAX_MEMORY_MB):  # the probe accepts the ends ...
        assert probe_config.ProbeConfig.from_env({**env, size: str(memory)}).memory_mb == memory
    for memory in (collector.MIN_MEMORY_MB - 1, collector.MAX_MEMORY_MB + 1):  # ... and nothing beyond
        with pytest.raises(probe_config.ConfigError, match=f"{size}={memory} is outside"):
            probe_config.ProbeConfig.from_env({**env, size: str(memory)})


@pytest.mark.parametrize("tracing", collector.TRACING)
def test_the_probe_and_the_collector_write_the_probe_key_rule_alike(tracing: str) -> None:
    """The probe names its key (`functions/probe/config.probe_keys`, its zip's own copy of the rule); the
    collector checks it (`collector.contract.probe_key_fits`). Every key the probe may take fits, and no
    key with another dimension does."""
    for strategy in collector.STRATEGIES:
        for memory in (collector.MIN_MEMORY_MB, 1769, collector.MAX_MEMORY_MB):
            for arch in collector.ARCHITECTURES:
                for runtime in collector.LAB_RUNTIMES:
                    keys = probe_config.probe_keys(strategy, memory, arch, runtime, tracing)
                    for key in keys:
                        assert contract.probe_key_fits(key, strategy, memory, arch, runtime, tracing), key
                        assert contract.probe_key_fits(key, strategy, memory, arch, None, tracing), key
                        assert not contract.probe_key_fits(key, strategy, memory + 1, arch, runtime, tracing)
                        other = next(t for t in collector.TRACING if t != tracing)
                        assert not contract.probe_key_fits(key, strategy, memory, arch, runtime, other)
                    assert keys[0] == f"{strategy}-{memory}-{arch}" + (
                        "" if tracing == collector.DEFAULT_TRACING else f"-{tracing}"
                    )


def test_tracing_and_runtimes_are_the_interface_s() -> None:
    assert collector.TRACING == ("off", "subsegments", "patch_all", "otel", "adot")
    assert collector.DEFAULT_TRACING == "subsegments"
    assert set(collector.OTEL_TRACING) <= set(collector.TRACING)
    assert set(collector.OTEL_RUNTIMES) <= set(collector.LAB_RUNTIMES)
    assert "python3.9" not in collector.OTEL_RUNTIMES  # OpenTelemetry Python 1.45 needs 3.10+
    assert collector.LAB_RUNTIMES == ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13")
    assert set(collector.AWS_RUNTIMES) <= set(collector.LAB_RUNTIMES)


def test_every_strategy_has_its_stores_and_its_module() -> None:
    assert tuple(probe.STORES_BY_STRATEGY) == collector.STRATEGIES
    for stores in probe.STORES_BY_STRATEGY.values():
        assert stores and set(stores) <= set(collector.STORES)
    assert set(strategies.MODULES) == set(collector.STRATEGIES)


def test_the_extension_serves_every_store() -> None:
    assert extension.STORES == collector.STORES


def test_the_lab_emulates_cpu_in_the_modes_records_name() -> None:
    # `auto` picks one of the others; `aws` is what a probe records on AWS, where the lab is not involved
    assert set(cgroups.MODES) - {"auto"} == set(collector.CPU_EMULATIONS) - {"aws"}


def test_the_dashboard_names_every_value() -> None:
    assert set(labels.STRATEGY) == set(collector.STRATEGIES)
    assert {variants.BASE[shown] for shown in labels.VARIANT} == set(collector.PREFETCH_STRATEGIES)
    assert set(labels.STORE) == set(collector.ROW_STORES)
    assert set(labels.ARCHITECTURE) == set(collector.ARCHITECTURES)
    assert set(labels.ENVIRONMENT) == set(collector.ENVIRONMENTS)
    assert set(labels.STATUS) == set(collector.STATUSES)
    assert set(charts.PALETTE) == set(collector.STRATEGIES)
    assert tuple(labels.TRACING) == collector.TRACING
    assert labels.DEFAULT_TRACING == collector.DEFAULT_TRACING


# --------------------------------------------------------------------------------------------- terraform
def _strings(listing: str) -> list[str] | None:
    """The items of an HCL list literal's inside, if every item is a quoted string."""
    items = [item.strip() for item in listing.split(",") if item.strip()]
    words = [item[1:-1] for item in items if re.fullmatch(r'"[^"]*"', item)]
    return words if items and len(words) == len(items) else None


def _blocks(text: str, opening: str) -> list[str]:
    """The bodies of blocks that open with `opening` and close on a line of their own (terraform fmt)."""
    return re.findall(opening + r"\s*\{(.*?)\n\s*\}", text, flags=re.DOTALL)


def _validated(path: Path) -> dict[str, list[tuple[list[str], str]]]:
    """{checked expression: [(allowed strings, error_message), ...]} of every `contains([...strings], x)` rule
    (a loop over `var.x`, or over `coalesce(var.x, ...)` for a list that may be null)."""
    found: dict[str, list[tuple[list[str], str]]] = {}
    for block in _blocks(path.read_text(), "validation"):
        message = re.search(r'error_message\s*=\s*"(.*)"', block)
        assert message, f"{path}: a validation block without error_message"
        direct = re.findall(r"contains\(\[([^\]]*)\],\s*(var\.[\w.]+)\)", block)
        looped = [
            (listing, target)
            for _, target, listing in re.findall(
                r"for\s+(\w+)(?:\s*,\s*\w+)?\s+in\s+(?:coalesce\()?(var\.[\w.]+)[^:]*:\s*contains\(\[([^\]]*)\],\s*\1\)",
                block,
            )
        ]
        for listing, target in direct + looped:
            words = _strings(listing)
            if words is not None:
                found.setdefault(target, []).append((words, message.group(1)))
    return found


TRACING = collector.TRACING
LAB_RUNTIMES = collector.LAB_RUNTIMES
DEPENDENCY_SETS = build.DEPENDENCY_SETS


def test_terraform_validates_against_the_vocabulary() -> None:
    expected: dict[Path, dict[str, list[tuple[str, ...]]]] = {
        MODULE / "variables.tf": {
            "var.environment": [collector.ENVIRONMENTS],
            # tracing_comparison's OTel runtime rule (above it in the file), every runtime the lab runs,
            # then the ones AWS accepts
            "var.runtime": [collector.OTEL_RUNTIMES, LAB_RUNTIMES, collector.AWS_RUNTIMES],
            "var.fleet.strategies": [collector.STRATEGIES],
            "var.fleet.architectures": [collector.ARCHITECTURES],
            # every runtime the lab runs, then the ones AWS accepts
            "var.fleet.runtimes": [LAB_RUNTIMES, collector.AWS_RUNTIMES, collector.OTEL_RUNTIMES],
            "var.fleet.tracing": [TRACING, collector.OTEL_TRACING],  # then the OTel runtime rule
            "var.fleet.stores": [collector.STORES],
            "var.tracing_comparison.strategies": [collector.STRATEGIES],
            "var.tracing_comparison.tracing": [TRACING, collector.OTEL_TRACING],  # then the OTel runtime rule
            "var.dependency_set": [DEPENDENCY_SETS],
            "var.collector.architecture": [collector.ARCHITECTURES],
            "var.extension_layer_arns": [collector.ARCHITECTURES],
            "var.cloud_extensions_layer_arns": [collector.ARCHITECTURES],
            "var.adot_layer_arns": [collector.ARCHITECTURES],
        },
        # the envs refuse an unknown runtime themselves, before the module and the build see it
        ENVS / "aws" / "variables.tf": {"var.runtime": [collector.AWS_RUNTIMES]},
        ENVS / "local" / "variables.tf": {"var.runtime": [LAB_RUNTIMES]},
    }
    for path, lists in expected.items():
        found = _validated(path)
        assert set(found) == set(lists), f"{path}: validated string lists changed; map each to the vocabulary"
        for target, vocabularies in lists.items():
            assert len(found[target]) == len(vocabularies), f"{path}: {target}'s rules changed"
            for (allowed, message), values in zip(found[target], vocabularies, strict=True):
                assert allowed == list(values), f"{path}: {target}"
                assert all(value in message for value in values), f"{path}: {target}'s message misses a value"


def test_the_build_and_terraform_know_the_same_dependency_sets() -> None:
    from tools import build

    assert build.DEPENDENCY_SETS == DEPENDENCY_SETS
    requirements = REPO / "functions" / "probe" / "requirements"
    for dependency_set in DEPENDENCY_SETS:
        assert list(requirements.glob(f"{dependency_set}*.txt")), dependency_set


def test_terraform_defaults_to_the_whole_vocabulary() -> None:
    # both environments take the module's `fleet` object, each with its own defaults
    for path in (MODULE / "variables.tf", ENVS / "aws" / "variables.tf", ENVS / "local" / "variables.tf"):
        default = re.search(r"strategies\s*=\s*optional\(list\(string\),\s*\[([^\]]*)\]\)", path.read_text())
        assert default and _strings(default.group(1)) == list(collector.STRATEGIES), path


def test_terraform_knows_every_architecture_and_the_stores_of_each_strategy() -> None:
    main = (MODULE / "main.tf").read_text()
    loop = re.search(r"for arch in \[([^\]]*)\]", main)
    assert loop and _strings(loop.group(1)) == list(collector.ARCHITECTURES)
    layer_names = re.search(r"layer_name\s*=\s*\{([^}]*)\}", main)
    assert layer_names and re.findall(r"(\w+)\s*=", layer_names.group(1)) == list(collector.ARCHITECTURES)
    iam = (MODULE / "iam.tf").read_text()
    without_ssm = re.findall(r'each\.value\.strategy == "(\w+)" \? \[\] : \[aws_ssm_parameter', iam)
    assert set(without_ssm) == NO_SSM
    stores = re.search(r"strategy_stores\s*=\s*\{([^}]*)\}", main)
    assert stores, "terraform/modules/observatory/main.tf: no strategy_stores map"
    by_strategy = {
        name: _strings(listing) for name, listing in re.findall(r"(\w+)\s*=\s*\[([^\]]*)\]", stores.group(1))
    }
    assert by_strategy == {name: list(values) for name, values in probe.STORES_BY_STRATEGY.items()}
    variables = (MODULE / "variables.tf").read_text()
    assert (
        f'strategy != "{"".join(sorted(NO_SSM))}" || s == "secretsmanager"' in variables
    )  # stores' own rule


def test_terraform_writes_lambdas_memory_range_once_as_the_contract_does() -> None:
    from collector.contract import MAX_MEMORY_MB, MIN_MEMORY_MB

    text = "\n".join(path.read_text() for path in sorted(MODULE.rglob("*.tf")))
    found = re.findall(r"memory_mb\s*=\s*\{\s*min\s*=\s*(\d+),\s*max\s*=\s*(\d+)\s*\}", text)
    assert found == [(str(MIN_MEMORY_MB), str(MAX_MEMORY_MB))]
    assert text.count(str(MAX_MEMORY_MB)) == 1  # every rule reads local.memory_mb



def _default_memory_sizes(path: Path) -> list[int]:
    found = re.findall(r"memory_sizes\s*=\s*optional\(list\(number\),\s*\[([\d,\s]+)\]\)", path.read_text())
    assert len(found) == 1, f"{path}: expected one default for fleet.memory_sizes, found {found}"
    return [int(m) for m in found[0].split(",")]


def test_the_default_tiers_are_written_alike_wherever_they_are_copied() -> None:
    """The two envs deploy the same default tiers, and the dashboard bench's synthetic fleet uses them."""
    from bench.bench_dashboard import LAB_TIERS

    aws, local = (_default_memory_sizes(ENVS / env / "variables.tf") for env in ("aws", "local"))
    assert aws == local
    assert list(LAB_TIERS) == local
    module = _default_memory_sizes(MODULE / "variables.tf")
    assert set(module) <= set(local)  # the module's own default (one tier) is one of the envs'


# ------------------------------------------------------------------------------------------------- prose
def _ticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def _contract_cell(contract: str, variable: str) -> str:
    row = re.search(rf"^\| `{variable}` \|[^|\n]*\|([^\n]*)\|$", contract, flags=re.M)
    assert row, f"docs/contract.md: no row for {variable}"
    return row.group(1)


def _contract_comment(contract: str, field: str) -> set[str]:
    line = re.search(rf'"{field}": [^\n]*// ([\w-]+(?: \| [\w-]+)+)', contract)
    assert line, f"docs/contract.md: no `// a | b` comment on {field}"
    return set(line.group(1).split(" | "))


def test_the_contract_lists_the_vocabulary() -> None:
    contract = (REPO / "docs" / "contract.md").read_text()
    assert _ticked(_contract_cell(contract, "OBSERVATORY_STRATEGY")) == set(collector.STRATEGIES)
    assert _ticked(_contract_cell(contract, "OBSERVATORY_ARCHITECTURE")) == set(collector.ARCHITECTURES)
    assert _ticked(_contract_cell(contract, "OBSERVATORY_ENVIRONMENT")) == set(collector.ENVIRONMENTS)
    assert _ticked(_contract_cell(contract, "OBSERVATORY_CPU_EMULATION")) == set(collector.CPU_EMULATIONS)
    assert _ticked(_contract_cell(contract, "OBSERVATORY_COLD_CAUSE")) == set(collector.COLD_CAUSES)
    assert _ticked(_contract_cell(contract, "OBSERVATORY_TRACING")) == set(collector.TRACING)
    assert _contract_comment(contract, "tracing") == set(collector.TRACING)
    assert _contract_comment(contract, "environment") == set(collector.ENVIRONMENTS)
    assert _contract_comment(contract, "cpu_emulation") == set(collector.CPU_EMULATIONS)
    assert _contract_comment(contract, "store") == set(collector.STORES)
    assert _contract_comment(contract, "miss_guarantee") == set(collector.MISS_GUARANTEES)
    phases = re.search(r"error `phase` in `([^`]+)`", contract)
    assert phases and phases.group(1).split() == list(collector.PHASES)
    statuses = re.search(r"`status` \(([^)]*)\)", contract)
    assert statuses and _ticked(statuses.group(1)) == set(collector.STATUSES)
    arch = re.search(r"`\{arch\}` is ([^.\n]*)", contract)
    assert arch and _ticked(arch.group(1)) == set(collector.ARCHITECTURES)


def test_the_probe_readme_says_which_stores_each_strategy_reads() -> None:
    readme = (REPO / "functions" / "probe" / "README.md").read_text()
    table = re.search(r"^\| strategy \|([^\n]*)\|\n((?:\|[^\n]*\n)+)", readme, flags=re.M)
    assert table, "functions/probe/README.md: no strategy table"
    columns = [cell.strip() for cell in table.group(1).split("|")]
    read: dict[str, tuple[str, ...]] = {}
    for name, rest in re.findall(r"^\| `(\w+)` \|([^\n]*)\|$", table.group(2), flags=re.M):
        cells = [cell.strip() for cell in rest.split("|")]
        read[name] = tuple(store for store in collector.STORES if cells[columns.index(store)] == "yes")
    assert read == probe.STORES_BY_STRATEGY
