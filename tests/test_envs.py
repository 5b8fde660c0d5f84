"""The conda environments (envs/*.yaml) pin exactly what requirements.txt pins, and every package a
rule's job imports is in that rule's environment (and pinned in requirements.txt).

Conda is not installed where this project is developed, so `--sdm conda` itself is never run; these
checks are what keeps the environment files honest.
"""
import argparse
import ast
import importlib.metadata as md
import re
import sys
from pathlib import Path

import pytest
import yaml

from subspace.codehash import step_files

ROOT = Path(__file__).resolve().parents[1]
ENVS = sorted((ROOT / "envs").glob("*.yaml"))
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)\s*==\s*([^\s;#]+)$")
# every env installs this workflow's own package from where the Snakefile says it is (workflow/rules/common.smk)
PACKAGE_LINE = "subspace-workflow @ ${SUBSPACE_SOURCE}"


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().split("[")[0]


def requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line:
            continue
        m = PIN.match(line)
        assert m, f"requirements.txt: '{line}' is not pinned with =="
        pins[norm(m.group(1))] = m.group(2)
    return pins


def env_pins(path: Path) -> dict[str, str]:
    """Packages of one conda env file: pip `name==version` and conda `name=version` / `name==version`."""
    spec = yaml.safe_load(path.read_text())
    pins = {}
    for dep in spec["dependencies"]:
        if isinstance(dep, dict):
            for pip_dep in dep.get("pip", []):
                if pip_dep.strip() == PACKAGE_LINE:   # the package itself (test_every_env_installs_the_package)
                    continue
                m = PIN.match(pip_dep.strip())
                assert m, f"{path.name}: pip dependency '{pip_dep}' is not pinned with =="
                pins[norm(m.group(1))] = m.group(2)
        else:
            name, _, version = dep.partition("=")
            if norm(name) in ("python", "pip"):
                continue
            assert version, f"{path.name}: conda dependency '{dep}' has no version"
            pins[norm(name)] = version.lstrip("=")
    return pins


def third_party(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("subspace", "__future__")}


def distributions(import_names: set[str]) -> set[str]:
    dist_of = md.packages_distributions()
    missing = sorted(n for n in import_names if n not in dist_of)
    assert not missing, f"imported but not installed in this environment: {missing}"
    return {norm(dist_of[n][0]) for n in import_names}


def command_files(command: str) -> list[Path]:
    """The package files `python -m subspace <command>` runs: the dispatcher, the step module and every
    package module they import (the same closure that decides when a step's jobs rerun)."""
    return [Path(f) for f in step_files(command)]


def rules() -> list[tuple[str, str, str | None, str | None]]:
    """(file, rule, conda env path, subspace command) for every rule in workflow/rules/*.smk."""
    found = []
    for smk in sorted((ROOT / "workflow/rules").glob("*.smk")):
        text = smk.read_text()
        # `rule name:`, or an anonymous `rule:` named by its `name:` directive (one per demo task)
        starts = [(m.start(), m.group(1) or m.group(2)) for m in
                  re.finditer(r"^\s*rule (\w+):|^\s*rule:\s*\n\s*name:\s*\n\s*f?\"([^\"]+)\"", text, re.M)]
        for (start, name), (end, _) in zip(starts, starts[1:] + [(len(text), None)]):
            block = text[start:end]
            conda = re.search(r'conda:\s*\n\s*"([^"]+)"', block)
            command = re.search(r'"python -m subspace (\w+)', block)
            env = str((smk.parent / conda.group(1)).resolve()) if conda else None
            found.append((smk.name, name, env, command.group(1) if command else None))
    return found


def test_the_env_files_are_exactly_the_rules_environments():
    """Every env file is some rule's environment (none left stale) and every environment a rule names exists."""
    used = {env for *_, env, _ in rules() if env}
    assert ENVS and used == {str(p.resolve()) for p in ENVS}, (sorted(used), [p.name for p in ENVS])
    assert sum(command is not None for *_, command in rules()) >= 8


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_env_pins_equal_requirements(env):
    req = requirements()
    pins = env_pins(env)
    assert pins, f"{env.name} pins nothing"
    wrong = {name: (version, req.get(name)) for name, version in pins.items() if req.get(name) != version}
    assert not wrong, f"{env.name}: pins that differ from requirements.txt (env, requirements.txt): {wrong}"


@pytest.mark.parametrize("env", ENVS, ids=lambda p: p.name)
def test_every_env_installs_the_package(env):
    """Jobs run `python -m subspace` from the installed package, never from PYTHONPATH into a checkout."""
    pip = [d for dep in yaml.safe_load(env.read_text())["dependencies"] if isinstance(dep, dict) for d in dep["pip"]]
    assert PACKAGE_LINE in pip, f"{env.name} does not install the workflow's package ({PACKAGE_LINE})"


def test_requirements_are_what_is_installed():
    req = requirements()
    wrong = {}
    for name, version in req.items():
        try:
            installed = md.version(name)
        except md.PackageNotFoundError:
            installed = None
        if installed is None or installed.split("+")[0] != version:   # torch reports 2.x.y+cpu
            wrong[name] = (version, installed)
    assert not wrong, f"requirements.txt pins that are not the installed versions (pinned, installed): {wrong}"


def test_every_imported_package_is_pinned():
    sources = list((ROOT / "subspace").rglob("*.py")) + list((ROOT / "workflow/rules").glob("*.smk"))
    names = set()
    for path in sources:
        if path.suffix == ".py":
            names |= third_party(ast.parse(path.read_text()))
        else:   # Snakemake files are not Python; take their plain import lines
            for line in path.read_text().splitlines():
                if re.match(r"^(import|from) \w", line):
                    names |= third_party(ast.parse(line.strip()))
    missing = sorted(distributions(names) - set(requirements()))
    assert not missing, f"imported by the workflow but not pinned in requirements.txt: {missing}"


@pytest.mark.parametrize("smk,rule,env,command", rules(), ids=lambda v: v if isinstance(v, str) else "")
def test_each_rule_env_has_what_its_job_imports(smk, rule, env, command):
    if command is None:
        assert env is None, f"{smk}: rule {rule} has a conda env but runs no subspace command"
        return
    assert env, f"{smk}: rule {rule} runs `subspace {command}` but declares no conda: environment"
    assert Path(env).exists(), f"{smk}: rule {rule}: conda env {env} does not exist"
    names = set()
    for path in command_files(command):
        names |= third_party(ast.parse(path.read_text()))
    missing = sorted(distributions(names) - set(env_pins(Path(env))))
    assert not missing, (f"{smk}: rule {rule} runs `subspace {command}`, which imports {missing}, "
                         f"but {Path(env).name} does not install them")
