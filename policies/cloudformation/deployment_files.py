"""What users already write to describe how their templates are deployed, read as stack declarations.

- hoplint's own file, `.hoplint.yaml` at the root of the scan (or the file `HOPLINT_DEPLOYMENT` names): the
  stacks that deploy the scanned templates, with their names and parameter values, for what nothing else says
  (the name of a separately deployed network stack another stack imports from, a parameter without Default):

      stacks:
        - template: infra/cluster.yaml      # the scanned template whose path ends with this
          name: production                  # its stack name (AWS::StackName)
          parameters:                       # values given at deploy time; the others take their Default
            EnvironmentName: production
        - template: infra/service.yaml
          parameters: params/service.json   # or a parameter file, relative to this file

- CloudFormation CLI parameter files (`[{"ParameterKey": "Port", "ParameterValue": "8080"}, ...]`) and
  CodePipeline template configuration files (`{"Parameters": {"Port": "8080"}}`), named by `parameters:`.
- AWS CDK cloud assemblies (`cdk.out/manifest.json`): each stack's template and name, and which asset file a
  nested stack's TemplateURL names.
- The parameter values a linter was given for the template it lints (cfn-lint's `--parameters`,
  `--parameter-files`, `--deployment-files`): its adapter hands them over (declare_parameter_sets).

Reading never raises and never runs anything: YAML through PyYAML's safe loader, sizes bounded; what cannot be
read is a problem that names the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DESCRIPTION_NAMES = (".hoplint.yaml", ".hoplint.yml")
DESCRIPTION_VARIABLE = "HOPLINT_DEPLOYMENT"
CLOUD_ASSEMBLY_MANIFEST = "manifest.json"
MAX_FILE_BYTES = 1_000_000
MAX_STACKS = 2_000


@dataclass(frozen=True, repr=False)
class StackDeclaration:
    """One stack deploying a template: the template named by a path suffix, its name, its parameter values."""

    template: str  # matched as the end of a scanned template's path
    name: str | None = None  # AWS::StackName; None when not given
    parameters: tuple = ()  # (name, value as text) pairs given at deploy time
    declared_in: str = ""  # the file that says so, for messages
    base: str = ""  # the directory `template` is relative to, when the template is read from there


@dataclass(eq=False, repr=False)
class Description:
    """Everything the scan's deployment files say: stacks, TemplateURL aliases (CDK assets), and problems."""

    stacks: list = field(default_factory=list)  # StackDeclaration
    # The object key a nested stack's TemplateURL ends with -> the template file (CDK assets), absolute
    template_aliases: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    sources: list = field(default_factory=list)  # the files read, for the cache key

    def key(self) -> tuple:
        return tuple(self.stacks), tuple(sorted(self.template_aliases.items())), tuple(self.problems)


def describe_scan(template_paths: list, environment: dict | None = None, working_directory: str | None = None
                  ) -> Description:
    """The deployment description of a scan of `template_paths`: the hoplint file (named by HOPLINT_DEPLOYMENT,
    or found at the root of the scan) and the CDK cloud assemblies the templates belong to."""
    environment = os.environ if environment is None else environment
    description = Description()
    named = environment.get(DESCRIPTION_VARIABLE)
    hoplint_file = Path(named) if named else find_hoplint_file(template_paths, working_directory)
    if hoplint_file is not None:
        read_hoplint_file(hoplint_file, description)
    for manifest in sorted({Path(path).resolve().parent / CLOUD_ASSEMBLY_MANIFEST for path in template_paths}):
        if manifest.is_file():
            read_cloud_assembly(manifest, description)
    return description


def find_hoplint_file(template_paths: list, working_directory: str | None = None) -> Path | None:
    """`.hoplint.yaml` in the deepest directory holding every scanned template, or in one of its parents up to
    the working directory (or, outside it, up to the top of the repository)."""
    if not template_paths:
        return None
    directories = [os.path.dirname(os.path.abspath(path)) for path in template_paths]
    start = Path(os.path.commonpath(directories))
    top = Path(os.path.abspath(working_directory or os.getcwd()))
    for directory in (start, *start.parents):
        for name in DESCRIPTION_NAMES:
            if (directory / name).is_file():
                return directory / name
        if directory == top or (directory / ".git").exists():
            return None
    return None


def read_hoplint_file(path: Path, description: Description) -> None:
    document = _load(path, description)
    if document is None:
        return
    description.sources.append(str(path))
    stacks = document.get("stacks") if isinstance(document, dict) else None
    if not isinstance(stacks, list):
        description.problems.append(f"{path}: no list of stacks (see hoplint's README, multi-stack applications)")
        return
    for index, entry in enumerate(stacks[:MAX_STACKS]):
        where = f"{path}: stacks[{index}]"
        if not (isinstance(entry, dict) and isinstance(entry.get("template"), str) and entry["template"]):
            description.problems.append(f"{where}: no template path")
            continue
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            description.problems.append(f"{where}: name {name!r:.60} is not a string")
            name = None
        parameters = entry.get("parameters", {})
        if isinstance(parameters, str):
            parameters = read_parameter_file(inside(path.parent, parameters, where, description), description)
        elif isinstance(parameters, dict):
            parameters = _parameter_values(parameters, where, description)
        else:
            description.problems.append(f"{where}: parameters must be a mapping or a parameter file's path")
            parameters = {}
        description.stacks.append(StackDeclaration(entry["template"], name, tuple(sorted(parameters.items())),
                                                   str(path), str(path.parent)))


def declare_parameter_sets(description: Description, template: str, parameter_sets: list) -> None:
    """A stack of `template` for each set of parameter values a linter was given for it (cfn-lint's `--parameters`,
    `--parameter-files` and `--deployment-files`); `parameter_sets` are (where the values come from, {name: value})
    pairs. The stacks the description declares already stay: each is judged."""
    for where, values in parameter_sets[:MAX_STACKS]:
        if not isinstance(values, dict):
            description.problems.append(f"{where}: parameters must be a mapping")
            continue
        parameters = _parameter_values(values, where, description)
        description.stacks.append(StackDeclaration(template, None, tuple(sorted(parameters.items())), where))


def inside(directory: Path, name: str, where: str, description: Description) -> Path | None:
    """`name` relative to `directory`, when it stays inside it: a deployment file names files of its own tree,
    never /etc/passwd (a scanned repository may be hostile)."""
    path = Path(os.path.normpath(directory / name))
    if os.path.commonpath([os.path.abspath(path), os.path.abspath(directory)]) != os.path.abspath(directory):
        description.problems.append(f"{where}: {name} is outside {directory}, not read")
        return None
    return path


def read_parameter_file(path: Path | None, description: Description) -> dict:
    """A CloudFormation CLI parameter file or a CodePipeline template configuration: parameter -> value."""
    if path is None:
        return {}
    document = _load(path, description)
    if document is None:
        return {}
    description.sources.append(str(path))
    if isinstance(document, list):  # aws cloudformation create-stack --parameters file://...
        values = {}
        for entry in document:
            if isinstance(entry, dict) and isinstance(entry.get("ParameterKey"), str) and "ParameterValue" in entry:
                values[entry["ParameterKey"]] = entry["ParameterValue"]
            elif not (isinstance(entry, dict) and entry.get("UsePreviousValue")):
                description.problems.append(f"{path}: {entry!r:.60} is no ParameterKey/ParameterValue pair")
        return _parameter_values(values, str(path), description)
    if isinstance(document, dict) and isinstance(document.get("Parameters"), dict):  # CodePipeline
        return _parameter_values(document["Parameters"], str(path), description)
    if isinstance(document, dict):
        return _parameter_values(document, str(path), description)
    description.problems.append(f"{path}: neither a parameter file nor a template configuration")
    return {}


def _parameter_values(values: dict, where: str, description: Description) -> dict:
    """Parameter values as CloudFormation receives them: text (a list as comma-separated text)."""
    texts = {}
    for name, value in values.items():
        if isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
            value = ",".join(str(item) for item in value)
        if isinstance(value, bool):
            value = str(value).lower()
        if not isinstance(name, str) or not isinstance(value, (str, int, float)):
            description.problems.append(f"{where}: parameter {name!r:.60} has no text value")
            continue
        texts[name] = str(value)
    return texts


def read_cloud_assembly(manifest: Path, description: Description) -> None:
    """The stacks of an AWS CDK cloud assembly, and the asset files its nested stacks' TemplateURLs name."""
    document = _load(manifest, description)
    artifacts = document.get("artifacts") if isinstance(document, dict) else None
    if not isinstance(artifacts, dict):
        return  # a manifest.json of something else
    description.sources.append(str(manifest))
    for artifact_id, artifact in artifacts.items():
        if not isinstance(artifact, dict) or artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties") if isinstance(artifact.get("properties"), dict) else {}
        template = properties.get("templateFile")
        if not isinstance(template, str):
            continue
        name = properties.get("stackName") if isinstance(properties.get("stackName"), str) else str(artifact_id)
        description.stacks.append(StackDeclaration(template, name, (), str(manifest), str(manifest.parent)))
    for assets in sorted(manifest.parent.glob("*.assets.json")):
        _read_assets(assets, description)


def _read_assets(path: Path, description: Description) -> None:
    document = _load(path, description)
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict):
        return
    for asset in files.values():
        source = asset.get("source") if isinstance(asset, dict) else None
        destinations = asset.get("destinations") if isinstance(asset, dict) else None
        if not (isinstance(source, dict) and isinstance(source.get("path"), str) and isinstance(destinations, dict)):
            continue
        for destination in destinations.values():
            key = destination.get("objectKey") if isinstance(destination, dict) else None
            if isinstance(key, str) and key.endswith((".json", ".yaml", ".yml", ".template")):
                description.template_aliases[key] = str((path.parent / source["path"]).resolve())


def _load(path: Path, description: Description) -> Any:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        description.problems.append(f"cannot read {path}: {error.strerror or error}")
        return None
    if len(raw) > MAX_FILE_BYTES:
        description.problems.append(f"{path}: larger than {MAX_FILE_BYTES} bytes, not read")
        return None
    try:
        if path.suffix == ".json":
            return json.loads(raw)
        return yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError, RecursionError) as error:
        description.problems.append(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                                    f"{str(error).splitlines()[0] if str(error) else type(error).__name__}")
        return None
