"""Declarative configs: YAML == Python, schema errors with the place in the file."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from config_helpers import CONFIGS, load_config

from simobjs.config import config_ini, config_json, prepare
from simobjs.config.schema import generate_schema
from simobjs.config.yaml_loader import format_path, load_document, load_file
from simobjs.errors import ConfigError
from simobjs.params.simobject import reset_for_tests

YAML = CONFIGS / "config_kvm_system.yaml"


def test_yaml_and_python_give_identical_config():
    from_yaml = load_file(YAML)
    prepare(from_yaml)
    ini_yaml, json_yaml = config_ini(from_yaml), config_json(from_yaml)
    reset_for_tests()
    from_py = load_config("config_kvm_system").build(1, "hello.elf")
    prepare(from_py)
    assert config_ini(from_py) == ini_yaml
    assert config_json(from_py) == json_yaml


def test_json_file_loads_too(tmp_path):
    doc = yaml.safe_load(YAML.read_text())
    p = tmp_path / "sys.json"
    p.write_text(json.dumps(doc))
    root = load_file(p)
    assert root.system.cpu[0].path() == "system.cpu"


def doc_with(mutate):
    doc = yaml.safe_load(YAML.read_text())
    mutate(doc)
    return doc


def cpu0(doc):
    return doc["root"]["children"]["system"]["children"]["cpu"][0]


def problems_of(doc) -> list:
    with pytest.raises(ConfigError) as e:
        load_document(doc, "sys.yaml")
    return e.value.problems


def test_bad_param_value_names_its_place():
    def bad(doc):
        cpu0(doc)["params"]["hostFactor"] = [1, 2]

    (p,) = problems_of(doc_with(bad))
    assert p.path == "sys.yaml:system.cpu[0].hostFactor"
    assert p.expected == "a Float" and p.got == "[1, 2]"
    assert str(p).startswith("sys.yaml:system.cpu[0].hostFactor: ")


def test_unknown_param_type_and_enum():
    def bad(doc):
        cpu0(doc)["params"]["hostFactr"] = 2.0
        doc["root"]["children"]["system"]["children"]["membus"]["type"] = "SystemXbar"
        doc["root"]["children"]["system"]["params"]["mem_mode"] = "fast"

    probs = {p.path: p for p in problems_of(doc_with(bad))}
    assert (
        probs["sys.yaml:system.cpu[0].hostFactr"].message == "X86KvmCPU has no parameter hostFactr"
    )
    assert "hostFactor" in probs["sys.yaml:system.cpu[0].hostFactr"].expected
    assert probs["sys.yaml:system.membus.type"].got == "'SystemXbar'"
    assert "SystemXBar" in probs["sys.yaml:system.membus.type"].expected
    assert probs["sys.yaml:system.mem_mode"].got == "'fast'"


def test_conversion_errors_after_schema():
    def bad(doc):
        cpu0(doc)["params"]["hostFreq"] = "5xHz"  # fits the schema, fails conversion
        doc["root"]["children"]["system"]["children"]["uart"]["params"]["device"] = (
            "@system.nothing"
        )
        doc["connections"].append(["system.uart.pio", "system.cpu.dcache_port"])
        doc["connections"].append(["system.cpu.nope", "system.membus.cpu_side_ports"])

    probs = problems_of(doc_with(bad))
    paths = [p.path for p in probs]
    assert "sys.yaml:system.cpu[0].hostFreq" in paths
    assert "sys.yaml:system.uart.device" in paths
    msgs = " | ".join(str(p) for p in probs)
    assert "sys.yaml:connections[5]: Port system.uart.pio is already connected to" in msgs
    assert "sys.yaml:connections[6]: X86KvmCPU has no port nope" in msgs


def test_unparsable_file(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("root: [unclosed\n")
    with pytest.raises(ConfigError, match="cannot parse"):
        load_file(p)


def test_schema_is_valid_and_lists_the_catalog():
    schema = generate_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "X86KvmCPU" in schema["$defs"]
    props = schema["$defs"]["X86KvmCPU"]["properties"]["params"]["properties"]
    assert {"hostFreq", "hostFactor", "usePerf", "kvmVM", "system"} <= set(props)
    doc = yaml.safe_load(Path(YAML).read_text())
    jsonschema.validate(doc, schema)


def test_format_path():
    assert (
        format_path(["root", "children", "system", "children", "cpu", 0, "params", "x"])
        == "system.cpu[0].x"
    )
    assert format_path(["root"]) == "root"
    assert format_path(["connections", 3, 1]) == "connections[3][1]"
