"""The latency profile of real servers, and thumbnails as real PNG files."""

import struct
import time
import zlib

from syncapp.simulator import LATENCY_JITTER, LATENCY_PROFILE, NULL_GUID
from syncapp.simulator.api import ROUTES
from syncapp.simulator.thumbnail import render_elevation_png

from .conftest import THUMBNAIL_QUERY, ApiClient, make_sim


def test_it_keys_the_latency_profile_by_endpoint_template():
    keys = {route.key for route in ROUTES}
    assert set(LATENCY_PROFILE) <= keys
    assert LATENCY_PROFILE["POST /auth"] == 5.0 and LATENCY_PROFILE["GET /elevations/selected/parts-list"] == 2.5


def test_it_never_sleeps_less_than_the_profile():
    sim = make_sim(latency="real", latency_scale=0.01)
    for key, base in LATENCY_PROFILE.items():
        delay = sim.latency_delay(key)
        assert base * 0.01 <= delay <= base * 0.01 * (1 + LATENCY_JITTER)
    assert make_sim().latency_delay("POST /auth") == 0.0


def test_it_sleeps_per_request_with_real_latency_scaled_down():
    sim = make_sim(latency="real", latency_scale=0.02)  # login ~0.1 s, select project ~16 ms
    started = time.monotonic()
    client = ApiClient.login(sim)
    assert time.monotonic() - started >= 5.0 * 0.02
    dos = sim.find_project("DOS22309")
    started = time.monotonic()
    client.go_to_directory("Demo Odoo")
    client.select("projects", dos.id)
    assert time.monotonic() - started >= (0.1 + 0.8) * 0.02


def png_chunks(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        chunks.append((kind, body))
        offset += 12 + length
    return chunks


def test_it_draws_valid_png_files_of_the_requested_size():
    data = render_elevation_png(120, 80, elevation_width=2400, elevation_height=1480, frame_color="RAL 7016")
    chunks = png_chunks(data)
    assert [k for k, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color_type = struct.unpack(">IIBB", chunks[0][1][:10])
    assert (width, height, depth, color_type) == (120, 80, 8, 2)
    raw = zlib.decompress(chunks[1][1])
    assert len(raw) == height * (1 + 3 * width)


def test_it_serves_thumbnails_of_a_realistic_size(client, sim):
    dos = sim.find_project("DOS22309")
    client.go_to_phase(dos, NULL_GUID)
    for elevation in sim.elevations_of(dos.id, NULL_GUID):
        response = client.get(f"/elevations/{elevation.id}/thumbnail", **THUMBNAIL_QUERY)
        assert response.status == 200 and response.content_type == "application/octet-stream"
        assert 1_000 <= len(response.body) <= 8_000
        ihdr = png_chunks(response.body)[0][1]
        assert struct.unpack(">II", ihdr[:8]) == (300, 300)


def test_it_renders_only_png(client, sim):
    dos = sim.find_project("DOS22309")
    client.go_to_phase(dos, NULL_GUID)
    elevation = sim.elevations_of(dos.id, NULL_GUID)[0]
    response = client.get(f"/elevations/{elevation.id}/thumbnail", **{**THUMBNAIL_QUERY, "format": "JPG"})
    assert response.status == 400
