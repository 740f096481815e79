"""The simulator through real HTTP: URLs, envelopes, concurrency, bad input, control API."""

import base64
import threading
import time

import httpx
import pytest

from syncapp.simulator import NULL_GUID, serve

from .conftest import THUMBNAIL_QUERY, make_sim


def login(http, base_url):
    response = http.post(f"{base_url}/auth", json={"username": "demo", "password": "demo", "erp": True})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['data']['token']}"}


def test_it_serves_the_api_under_the_real_base_path(server):
    assert server.base_url.endswith("/MbioeService.svc/api/v3")
    assert server.base_url.startswith(server.root_url)
    response = httpx.get(f"{server.base_url}/version")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


def test_it_walks_dos22309_and_downloads_a_parts_list_over_http(server, sim):
    dos = sim.find_project("DOS22309")
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        headers = login(http, server.base_url)
        assert http.post("/directories/select", json={"identifier": "Demo Odoo"}, headers=headers).status_code == 200
        assert http.post("/projects/select", json={"identifier": dos.id}, headers=headers).status_code == 200
        assert http.post("/phases/select", json={"identifier": NULL_GUID}, headers=headers).status_code == 200
        elevations = http.get(f"{server.base_url}//elevations", headers=headers).json()["data"]  # doubled slash
        thumbnail = http.get(f"/elevations/{elevations[0]['id']}/thumbnail", params=THUMBNAIL_QUERY, headers=headers)
        assert thumbnail.status_code == 200 and thumbnail.content.startswith(b"\x89PNG")
        assert http.post("/elevations/select", json={"identifier": elevations[0]["id"]},
                         headers=headers).status_code == 200
        parts = http.get("/elevations/selected/parts-list", headers=headers)
        assert base64.b64decode(parts.json()["data"]).startswith(b"SQLite format 3\x00")
        assert http.delete("/auth", headers=headers).status_code == 200
    stats = httpx.get(f"{server.root_url}/_sim/stats").json()["data"]
    assert stats["requests"]["GET /elevations/selected/parts-list"] == {"200": 1}
    assert stats["requests"]["GET /elevations"] == {"200": 1}
    assert (stats["logins"], stats["logouts"], stats["current_sessions"]) == (1, 1, 0)


@pytest.mark.parametrize("method,path,body,status", [
    ("GET", "/nothing/here", None, 404),
    ("POST", "/auth", b"{broken", 400),
    ("POST", "/auth", b'"just a string"', 400),
    ("PUT", "/auth", b"{}", 405),
])
def test_it_answers_bad_requests_with_the_error_envelope(server, method, path, body, status):
    response = httpx.request(method, server.base_url + path, content=body)
    assert response.status_code == status
    payload = response.json()
    assert set(payload) == {"message", "code", "hints", "warnings", "errors"} and payload["code"] == status
    assert "Traceback" not in response.text


@pytest.mark.parametrize("body", [b"", b"{", b"{}", b'{"identifier": 5}', b'{"identifier": "not-a-guid"}'])
def test_it_answers_400_for_malformed_selects(server, sim, body):
    with httpx.Client(base_url=server.base_url) as http:
        headers = login(http, server.base_url)
        headers["Content-Type"] = "application/json"
        assert http.post("/projects/select", content=body, headers=headers).status_code == 400


def test_it_answers_404_outside_the_api_prefix(server):
    assert httpx.get(f"{server.root_url}/api/v3/version").status_code == 404


def test_it_answers_400_for_bad_thumbnail_parameters(server, sim):
    dos = sim.find_project("DOS22309")
    elevation = sim.elevations_of(dos.id, NULL_GUID)[0]
    with httpx.Client(base_url=server.base_url) as http:
        headers = login(http, server.base_url)
        http.post("/directories/select", json={"identifier": "Demo Odoo"}, headers=headers)
        http.post("/projects/select", json={"identifier": dos.id}, headers=headers)
        http.post("/phases/select", json={"identifier": NULL_GUID}, headers=headers)
        url = f"/elevations/{elevation.id}/thumbnail"
        for bad in ({"width": "wide"}, {"format": "GIF"}, {"view": "Sideways"}, {"width": "0"}):
            assert http.get(url, params={**THUMBNAIL_QUERY, **bad}, headers=headers).status_code == 400
        assert http.get(url, params={"width": 10}, headers=headers).status_code == 400
        unknown = "/elevations/11111111-2222-4333-8444-555555555555/thumbnail"
        assert http.get(unknown, params=THUMBNAIL_QUERY, headers=headers).status_code == 400


def test_it_handles_requests_concurrently():
    sim = make_sim(latency="real", latency_scale=0.5)  # GET /version sleeps ~10 ms
    sim.set_faults(timeout={"seconds": 0.4, "path": "/version"})
    with serve(sim) as server:
        results = []

        def fetch():
            results.append(httpx.get(f"{server.base_url}/version", timeout=5).status_code)

        started = time.monotonic()
        threads = [threading.Thread(target=fetch) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 8
        assert time.monotonic() - started < 8 * 0.4  # the hangs overlapped


def test_it_hangs_past_a_client_timeout_and_stops_promptly():
    sim = make_sim()
    sim.set_faults(timeout={"seconds": 30, "path": "/version", "count": 1})
    server = serve(sim)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{server.base_url}/version", timeout=0.3)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 3


def test_it_exposes_the_control_api_over_http(server, sim):
    root = server.root_url
    assert httpx.post(f"{root}/_sim/faults", json={"server_error": {"count": 1, "path": "/version"}}).status_code == 200
    assert httpx.get(f"{server.base_url}/version").status_code in (500, 503)
    dos = sim.find_project("DOS22309")
    assert httpx.post(f"{root}/_sim/touch-project", json={"guid": dos.id, "at": 1_900_000_000}).status_code == 200
    assert sim.project(dos.id).changed_date == 1_900_000_000
    assert httpx.post(f"{root}/_sim/reset-stats").json()["data"]["total_requests"] == 0
    assert httpx.get(f"{root}/_sim/config").json()["data"]["dataset"] == "demo"
    assert httpx.post(f"{root}/_sim/add-directory", content=b"{bad json").status_code == 400
