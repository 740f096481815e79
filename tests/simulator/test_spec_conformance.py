"""Every read call's response matches the MBIOE v3 Swagger spec: status codes the operation
documents, and bodies with the definition's fields and types.

The spec is reference data kept beside the repository (../shared/logikal/), never copied in.
"""

import json
import re
from pathlib import Path

import pytest

from syncapp.simulator import NULL_GUID

from .conftest import THUMBNAIL_QUERY, ApiClient, make_sim

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "logikal" / "mbioe-swagger-12.2.6.59.json"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UNKNOWN = "11111111-2222-4333-8444-555555555555"


@pytest.fixture(scope="module")
def spec():
    if not SPEC_PATH.exists():
        pytest.skip(f"the LogiKal Swagger spec is not at {SPEC_PATH} (it lives beside the clone, in ../shared)")
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def resolve(spec, schema):
    while "$ref" in schema:
        schema = spec["definitions"][schema["$ref"].split("/")[-1]]
    return schema


def check(spec, schema, value, where="body"):
    """Problems of `value` against a Swagger 2.0 schema (required, documented names, types, formats)."""
    schema = resolve(spec, schema)
    kind = schema.get("type", "object" if "properties" in schema else None)
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {type(value).__name__}"]
        properties = schema.get("properties", {})
        problems = [f"{where}.{n}: required but missing" for n in schema.get("required", []) if n not in value]
        problems += [f"{where}.{n}: not in the spec" for n in value if properties and n not in properties]
        problems += [f"{where}.{n}: documented but missing" for n in properties if n not in value]
        for name, sub in properties.items():
            if name in value and value[name] is not None:
                problems += check(spec, sub, value[name], f"{where}.{name}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array"]
        return [p for i, item in enumerate(value) for p in check(spec, schema["items"], item, f"{where}[{i}]")]
    if kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {value!r}"]
        if schema.get("format") == "guid" and not GUID.match(value):
            return [f"{where}: not a lower-case GUID: {value!r}"]
        return []
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and schema.get("format") == "uint64":
            ok = 0 <= value < 1e10  # Unix seconds, not milliseconds
        return [] if ok else [f"{where}: expected {schema.get('format', 'integer')}, got {value!r}"]
    if kind == "number":
        return [] if isinstance(value, (int, float)) and not isinstance(value, bool) else [f"{where}: not a number"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: not a boolean"]
    return []


def conform(spec, method, template, response):
    operation = spec["paths"][template][method.lower()]
    documented = operation["responses"]
    assert str(response.status) in documented, f"{method} {template} answered {response.status}, " \
                                               f"the spec documents {sorted(documented)}"
    schema = documented[str(response.status)].get("schema", {})
    if schema.get("type") == "string" and schema.get("format") == "stream":
        assert response.content_type == "application/octet-stream" and response.body.startswith(b"\x89PNG")
        return
    problems = check(spec, schema, response.json())
    assert not problems, f"{method} {template} {response.status}: {problems}"


def test_it_conforms_on_the_way_down_to_a_parts_list(spec):
    sim = make_sim()
    dos = sim.find_project("DOS22309")
    p1 = sim.elevations_of(dos.id, NULL_GUID)[0]
    client = ApiClient(sim)
    steps = [
        ("GET", "/version", lambda: sim.call("GET", "/version")),
        ("POST", "/auth", lambda: sim.call("POST", "/auth", json={"username": "demo", "password": "bad"})),
        ("POST", "/auth", lambda: sim.call("POST", "/auth", body=b"{")),
        ("GET", "/directories", lambda: client.get("/directories")),  # no token yet: 401
    ]
    for method, template, call in steps:
        conform(spec, method, template, call())
    login = sim.call("POST", "/auth", json={"username": "demo", "password": "demo", "erp": True})
    conform(spec, "POST", "/auth", login)
    client.token = login.json()["data"]["token"]

    def post(template, identifier):
        return "POST", template, lambda: client.select(template.split("/")[1], identifier)

    steps = [
        ("GET", "/directories", lambda: client.get("/directories")),
        ("GET", "/projects", lambda: client.get("/projects")),
        ("GET", "/phases", lambda: client.get("/phases")),  # 405 at directory level
        post("/directories/select", "Nowhere"),
        post("/directories/select", "Demo Odoo"),
        ("GET", "/projects", lambda: client.get("/projects")),
        post("/projects/select", UNKNOWN),
        post("/projects/select", dos.id),
        ("GET", "/projects/selected", lambda: client.get("/projects/selected")),
        ("GET", "/phases", lambda: client.get("/phases")),
        ("GET", "/elevations", lambda: client.get("/elevations")),  # 405 at project level
        post("/phases/select", UNKNOWN),
        post("/phases/select", NULL_GUID),
        ("GET", "/elevations", lambda: client.get("/elevations")),
        ("GET", "/elevations/{elevationId}/thumbnail", lambda: client.get(f"/elevations/{p1.id}/thumbnail",
                                                                          **THUMBNAIL_QUERY)),
        ("GET", "/elevations/{elevationId}/thumbnail", lambda: client.get(f"/elevations/{p1.id}/thumbnail")),
        post("/elevations/select", UNKNOWN),
        post("/elevations/select", p1.id),
        ("GET", "/elevations/selected/parts-list", lambda: client.get("/elevations/selected/parts-list")),
        ("GET", "/elevations/selected/thumbnail", lambda: client.get("/elevations/selected/thumbnail",
                                                                     **THUMBNAIL_QUERY)),
        ("GET", "/elevations/selected/drawing", lambda: client.get(
            "/elevations/selected/drawing", width=200, height=100, view="Interior", withGlass="true",
            withElevation="true", withVerticalCuts="false", withHorizontalCuts="false")),
        ("DELETE", "/auth", lambda: sim.call("DELETE", "/auth", token=client.token)),
    ]
    for method, template, call in steps:
        conform(spec, method, template, call())


def test_it_conforms_for_every_project_phase_and_elevation_of_the_demo(spec):
    sim = make_sim()
    client = ApiClient.login(sim)
    for directory in [""] + [d.path for d in sim.iter_directories()]:
        for project in sim.projects_in(directory):
            fresh = ApiClient.login(sim)
            if directory:
                fresh.go_to_directory(directory)
            conform(spec, "GET", "/projects", fresh.get("/projects"))
            fresh.select("projects", project.id)
            conform(spec, "GET", "/projects/selected", fresh.get("/projects/selected"))
            conform(spec, "GET", "/phases", fresh.get("/phases"))
            for phase in sim.phases_of(project.id):
                fresh.select("phases", phase.id)
                conform(spec, "GET", "/elevations", fresh.get("/elevations"))
            sim.call("DELETE", "/auth", token=fresh.token)
    conform(spec, "GET", "/directories", client.get("/directories"))


def test_it_only_serves_paths_the_spec_knows(spec):
    from syncapp.simulator.api import ROUTES

    for route in ROUTES:
        assert route.method.lower() in spec["paths"].get(route.template, {}), route.key
