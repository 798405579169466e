"""Which ECS cluster an Auto Scaling group's instances join, and whether it is a service's cluster.

The ECS agent on an instance registers with the cluster named by `ECS_CLUSTER=` in /etc/ecs/ecs.config (the
cluster `default` when none is named). Templates write that line from the instances' user data
(`echo ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config`), or from the `AWS::CloudFormation::Init` metadata that
cfn-init, run by the user data, applies (a command, or the file /etc/ecs/ecs.config itself). This module reads
those texts; the topology builder resolves what they name to the template's resources.

Texts are read as Resolver.text pieces, so that a cluster spliced in by `${Cluster}` or `{"Ref": "Cluster"}`
keeps its identity. What cannot be read never makes an Auto Scaling group a member of a cluster by default: it
makes the question UNKNOWN, with the reason.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from policies.cloudformation.intrinsics import Resolver, Spliced
from policies.values import ResourceRef, Unknown, shown

ECS_CONFIG = "/etc/ecs/ecs.config"
# Where the ECS agent registers when nothing names a cluster, and where a service without Cluster runs.
DEFAULT_CLUSTER = ("default",)
INIT = "AWS::CloudFormation::Init"

SPLICE = "\x00"  # stands for a Spliced piece in the flattened text of a script
# `ECS_CLUSTER=` not inside a longer name, its value optionally quoted, up to where the shell word ends.
_ASSIGNMENT = re.compile(r"(?<![\w$])ECS_CLUSTER=[\"']?([^\s\"'`;&|<>()]*)")
_CFN_INIT = re.compile(r"cfn-init(?:\.exe)?\b([^\n;&|]*)")
# Words of texts that configure the ECS agent, in ways other than an ECS_CLUSTER= line this module reads
# (a config file downloaded or built by a shell variable, Windows' Initialize-ECSAgent, Bottlerocket's
# settings.ecs): an instance whose texts hold one may join any cluster.
_AGENT_SETTINGS = ("ECS_CLUSTER", "ecs.config", "Initialize-ECSAgent", "settings.ecs")


@dataclass(eq=False, repr=False)
class Cluster:
    """A cluster as a template names it: the AWS::ECS::Cluster of the template it refers to, its name, or both."""

    resource: str | None  # id of the template's cluster resource, when named by Ref or GetAtt
    name: tuple | None  # the name as Resolver.text pieces; None when CloudFormation generates it

    @property
    def exact(self) -> bool:
        """Whether the name is known: literal text, or generated (no other text can spell it)."""
        return self.name is None or all(isinstance(piece, str) for piece in self.name)

    @property
    def keys(self) -> tuple:
        return tuple(key for key in (("resource", self.resource), ("name", self.name)) if key[1] is not None)

    def __str__(self) -> str:
        """e.g. "Cluster", "Cluster (payments)", "payments", "<parameter Name has no Default>-web"."""
        if self.resource is None:
            return text_label(self.name)
        return self.resource if self.name is None else f"{self.resource} ({text_label(self.name)})"


def named_cluster(pieces: tuple) -> tuple:
    """A cluster's name from the text that names it: the name an ARN ends with (arn:...:cluster/NAME)."""
    if pieces and isinstance(pieces[-1], str) and ":cluster/" in pieces[-1]:
        tail = pieces[-1].rsplit(":cluster/", 1)[1]
        if tail:
            return (tail,)
    return pieces


def same_cluster(one: Cluster, other: Cluster) -> bool | None:
    """Whether both name one cluster; None when that cannot be told."""
    if one.resource is not None and other.resource is not None:
        return one.resource == other.resource  # two cluster resources of a template are two clusters
    if one.name is None or other.name is None:
        # CloudFormation generates the name when it creates the cluster, with a random suffix: no text of the
        # template, and no parameter given before it exists, can spell it.
        return False
    if one.name == other.name:  # the same literal text, or the same deploy-time values in the same places
        return True
    return False if one.exact and other.exact else None


class ClusterMembers:
    """Which Auto Scaling groups' instances join which cluster, indexed so that a service's lookup costs
    the groups it finds (and one more), not every group of the template."""

    def __init__(self, joins: dict) -> None:
        """`joins`: Auto Scaling group id -> the Cluster its instances join, None when nothing configures the
        ECS agent, or Unknown saying why the cluster cannot be told."""
        self.joins = joins
        self.order = {group: index for index, group in enumerate(joins)}
        self.unreadable = [(group, why) for group, why in joins.items() if isinstance(why, Unknown)]
        self.unnamed = [group for group, cluster in joins.items() if cluster is None]
        self.by_key: dict = {}
        # (names a cluster resource, exact name) -> groups whose cluster has a name: which of them a service's
        # cluster cannot be told apart from depends only on this kind (see same_cluster).
        self.by_kind: dict = {}
        for group, cluster in joins.items():
            if isinstance(cluster, Cluster):
                for key in cluster.keys:
                    self.by_key.setdefault(key, []).append(group)
                if cluster.name is not None:
                    self.by_kind.setdefault((cluster.resource is not None, cluster.exact), []).append(group)

    def joining(self, cluster: Cluster) -> list | Unknown:
        """The groups whose instances join `cluster` (in template order), then an Unknown for each group that may
        or may not join it: the groups known to join carry tasks whatever the others do. Unknown when no group may
        join it."""
        members = {group for key in cluster.keys for group in self.by_key.get(key, ())
                   if same_cluster(cluster, self.joins[group]) is True}
        doubts = [replace(why, reason=f"cannot tell which cluster the instances of Auto Scaling group {group} "
                                      f"join: {why.reason}") for group, why in self.unreadable]
        for (names_resource, exact), groups in self.by_kind.items():
            if cluster.name is None or (names_resource and cluster.resource is not None) or (exact and cluster.exact):
                continue  # same_cluster tells every group of this kind apart from the cluster
            doubts += [Unknown(f"the instances of Auto Scaling group {group} join cluster {self.joins[group]}, which "
                               f"may or may not be cluster {cluster}") for group in groups if group not in members]
        if self.unnamed and same_cluster(cluster, Cluster(None, DEFAULT_CLUSTER)) is not False:
            doubts.append(Unknown(f"Auto Scaling group {self.unnamed[0]} names no cluster: its instances join cluster "
                                  f"{DEFAULT_CLUSTER[0]} if they run the ECS agent"))
        if not members and not doubts:
            return Unknown(f"no capacity provider of the service or its cluster, and no Auto Scaling group of the "
                           f"template whose user data or cfn-init names cluster {cluster} in ECS_CLUSTER: its "
                           f"container instances may be registered outside the template")
        return sorted(members, key=self.order.get) + doubts


# -- reading user data and cfn-init --------------------------------------------------------------------

InitMetadata = Callable[[str], Any]  # a resource's logical id -> (its Metadata, the path of it), or Unknown


def joined_cluster(resolver: Resolver, user_data: Any, path: tuple, where: str, init_metadata: InitMetadata) -> Any:
    """The ECS_CLUSTER value (Resolver.text pieces) that instances launched with `user_data` (the UserData
    property at `path` of the launch template or configuration `where` names) configure their ECS agent with;
    None when nothing they run configures the agent; Unknown when which cluster cannot be told."""
    script = _Script(_user_data_text(resolver, user_data))
    sources = [(f"the user data of {where}", script, path)]
    for resource, configsets in dict.fromkeys(script.cfn_init_runs()):
        configs = _init_scripts(resolver, resource, configsets, where, path, init_metadata)
        if isinstance(configs, Unknown):
            return configs
        sources += configs
    values: dict = {}  # value -> the text that sets it
    for what, source, source_path in sources:
        assigned, spliced_in_values = source.assignments()
        hidden = next((piece.value for index, piece in enumerate(source.spliced)
                       if not piece.word and index not in spliced_in_values), None)
        if hidden is not None:
            return _at(Unknown(f"{what} holds text hoplint cannot read, which may name the cluster: {hidden.reason}",
                               hidden.malformed), source_path)
        for value in assigned:
            if any(isinstance(piece, str) and "$" in piece for piece in value):
                return _at(Unknown(f"{what} sets ECS_CLUSTER from a shell variable: {text_label(value)}"),
                           source_path)
            values.setdefault(named_cluster(value), what)
    if len(values) > 1:
        (first, set_by), (second, also_by) = list(values.items())[:2]
        return _at(Unknown(f"ECS_CLUSTER is set to {text_label(first)} (by {set_by}) and to {text_label(second)} "
                           f"(by {also_by})"), path)
    if values:
        return next(iter(values))
    if any(marker in source.flat for _, source, _ in sources for marker in _AGENT_SETTINGS):
        return _at(Unknown(f"the user data of {where} configures the ECS agent, but names no cluster in an "
                           f"ECS_CLUSTER= line hoplint can read"), path)
    return None


def _user_data_text(resolver: Resolver, user_data: Any) -> tuple:
    """The text of a UserData property, which holds base64: Fn::Base64's argument, or literal base64 decoded."""
    user_data = resolver.picked(user_data)
    if isinstance(user_data, dict) and list(user_data) == ["Fn::Base64"]:
        return _text(resolver, user_data["Fn::Base64"])
    pieces = _text(resolver, user_data)
    if not (len(pieces) == 1 and isinstance(pieces[0], str)):
        return pieces
    try:  # a literal, or a parameter's Default: already encoded
        decoded = base64.b64decode("".join(pieces[0].split()), validate=True)
    except (binascii.Error, ValueError):
        return (Spliced(Unknown(f"UserData {shown(pieces[0])} is not base64", malformed=True), False),)
    try:
        return (decoded.decode("utf-8"),)
    except UnicodeDecodeError:
        return (Spliced(Unknown("the user data is not text (compressed?)"), False),)


def _init_scripts(resolver: Resolver, resource: str | None, configsets: str | None, where: str, path: tuple,
                  init_metadata: InitMetadata) -> list | Unknown:
    """(what, _Script, path) of each text of the cfn-init metadata that `cfn-init --resource resource
    --configsets configsets` applies and that may configure the ECS agent: its commands, and the content of
    /etc/ecs/ecs.config."""
    if resource is None:
        return []  # cfn-init refuses to run without a resource
    if SPLICE in resource or SPLICE in (configsets or ""):
        return _at(Unknown(f"the user data of {where} runs cfn-init on a resource or config set named at deploy "
                           f"time"), path)
    found = init_metadata(resource.strip("\"'"))
    if isinstance(found, Unknown):
        return _at(found, path)
    metadata, metadata_path = found
    init = _structure(resolver, metadata.get(INIT) if isinstance(metadata, dict) else None)
    if init is None:
        return []
    init_path = metadata_path + (INIT,)
    if not isinstance(init, dict):
        return _unreadable(f"the cfn-init metadata of {resource}", init_path)
    names = _config_names(resolver, init, configsets, resource, init_path)
    if isinstance(names, Unknown):
        return names
    scripts: list = []
    for name in names:
        config = _structure(resolver, init.get(name))
        if config is None and name == "config":
            continue
        read = _config_scripts(resolver, config, f"cfn-init config {name} of {resource}", init_path + (name,))
        if isinstance(read, Unknown):
            return read
        scripts += read
    return scripts


def _config_names(resolver: Resolver, init: dict, configsets: str | None, resource: str, path: tuple) -> Any:
    """The configs cfn-init applies: those of the config sets asked for (`default` when none is), sets
    included in sets; the config named `config` when the metadata defines no config sets."""
    sets = _structure(resolver, init.get("configSets"))
    if sets is None:
        return ["config"]
    if not isinstance(sets, dict):
        return _unreadable(f"the configSets of the cfn-init metadata of {resource}", path + ("configSets",))
    names, pending, expanded = [], (configsets or "default").split(","), set()
    while pending:  # a stack, not recursion: sets may include each other, in chains as long as the template
        name = pending.pop()
        if name in expanded:
            continue
        expanded.add(name)
        entries = _structure(resolver, sets.get(name))
        if not isinstance(entries, list):
            return _unreadable(f"config set {shown(name)} of the cfn-init metadata of {resource}",
                               path + ("configSets",))
        for entry in entries:
            entry = _structure(resolver, entry)
            if isinstance(entry, dict) and list(entry) == ["ConfigSet"] and isinstance(entry["ConfigSet"], str):
                pending.append(entry["ConfigSet"])
            elif isinstance(entry, str):
                names.append(entry)
            else:
                return _unreadable(f"config set {shown(name)} of the cfn-init metadata of {resource}",
                                   path + ("configSets", name))
    return list(dict.fromkeys(names))


def _config_scripts(resolver: Resolver, config: Any, what: str, path: tuple) -> list | Unknown:
    if not isinstance(config, dict):
        return _unreadable(what, path)
    scripts = []
    commands = _structure(resolver, config.get("commands")) or {}
    if not isinstance(commands, dict):
        return _unreadable(f"the commands of {what}", path + ("commands",))
    for name, command in commands.items():
        command = _structure(resolver, command)
        if not isinstance(command, dict):
            return _unreadable(f"command {shown(name)} of {what}", path + ("commands", name))
        text = command.get("command")
        if isinstance(text, list):  # run without a shell, its arguments as words
            text = {"Fn::Join": [" ", text]}
        scripts.append((f"command {shown(name)} of {what}", _Script(_text(resolver, text)),
                        path + ("commands", name, "command")))
    files = _structure(resolver, config.get("files")) or {}
    if not isinstance(files, dict):
        return _unreadable(f"the files of {what}", path + ("files",))
    config_file, file_path = _structure(resolver, files.get(ECS_CONFIG)), path + ("files", ECS_CONFIG)
    if config_file is None:
        return scripts
    if not isinstance(config_file, dict):
        return _unreadable(f"{ECS_CONFIG} of {what}", file_path)
    if "source" in config_file:
        return _at(Unknown(f"{what} downloads {ECS_CONFIG} from {shown(config_file['source'])}"), file_path)
    content = _Script(_text(resolver, config_file.get("content")))
    scripts.append((f"{ECS_CONFIG} of {what}", content, file_path + ("content",)))
    return scripts


class _Script:
    """Text pieces as one string, in which SPLICE stands for each Spliced piece, in order."""

    def __init__(self, pieces: tuple) -> None:
        self.spliced = [piece for piece in pieces if not isinstance(piece, str)]
        flat = "".join(piece.replace(SPLICE, "\ufffd") if isinstance(piece, str) else SPLICE for piece in pieces)
        self.flat = flat.replace("\\\n", " ")  # a shell line continued on the next one

    def assignments(self) -> tuple:
        """(the value of each ECS_CLUSTER= as pieces, the indexes of the spliced pieces in those values)."""
        values, used = [], set()
        position = before = 0  # SPLICEs in self.flat[:position]
        for match in _ASSIGNMENT.finditer(self.flat):
            before += self.flat.count(SPLICE, position, match.start(1))
            position = match.start(1)
            literals = match.group(1).split(SPLICE)
            value = [literals[0]]
            for index, literal in enumerate(literals[1:], start=before):
                value += [self.spliced[index], literal]
                used.add(index)
            value = tuple(piece for piece in value if piece != "")
            if value:  # `grep ECS_CLUSTER= ...` names no cluster
                values.append(value)
        return values, used

    def cfn_init_runs(self) -> list:
        """(--resource, --configsets) of each cfn-init the script runs, None for an option not given."""
        runs = []
        for match in _CFN_INIT.finditer(self.flat):
            words = match.group(1).split()
            options: dict = {}
            for index, word in enumerate(words):
                option, equals, value = word.partition("=")
                if option in ("-r", "--resource", "-c", "--configsets"):
                    following = words[index + 1] if index + 1 < len(words) else None
                    options.setdefault(option.lstrip("-")[0], value if equals else following)
            runs.append((options.get("r"), options.get("c")))
        return runs


def _text(resolver: Resolver, value: Any) -> tuple:
    """Resolver.text of a value that may be absent."""
    return () if value is None else resolver.text(value)


def _structure(resolver: Resolver, node: Any) -> Any:
    """A mapping or list of the metadata, the branch an Fn::If picks when one does (unresolved: its texts are
    read as Resolver.text). Any other function where a mapping belongs is read as the wrong type it is."""
    node = resolver.picked(node)
    return None if node == {"Ref": "AWS::NoValue"} else node


def _unreadable(what: str, path: tuple) -> Unknown:
    return Unknown(f"{what} cannot be read", malformed=True, path=path)


def _at(why: Unknown, path: tuple) -> Unknown:
    """`why`, located at `path` unless it knows where it is: the line a finding points at."""
    return why if why.path else replace(why, path=path)


def text_label(pieces: tuple) -> str:
    """Text pieces for a message: a resource spliced in as ${Id}, a deploy-time value as <why>; shortened."""
    text = "".join(map(_piece_label, pieces))
    return text if len(text) <= 80 else text[:77] + "..."


def _piece_label(piece: Any) -> str:
    if isinstance(piece, str):
        return piece
    return "${" + str(piece.value) + "}" if isinstance(piece.value, ResourceRef) else f"<{piece.value.reason}>"

