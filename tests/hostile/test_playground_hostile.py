"""Hostile requests to the playground: a gzip file that decompresses to gigabytes of blank
lines, and cross-site POSTs (a page elsewhere can send ``text/plain`` bodies without asking).
Each is checked through Flask's test client and through a real HTTP request to the served
application."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from cwquery.playground import api
from cwquery.playground.server import TOKEN_HEADER, PlaygroundServer, create_app


def blank_lines_gzip(mebibytes: int) -> bytes:
    """A gzip file of ``mebibytes`` MiB of line ends: about a thousandth of that on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\n" * (1 << 20)
    return b"".join([*(packer.compress(chunk) for _ in range(mebibytes)), packer.flush()])


@pytest.fixture
def client() -> FlaskClient:
    return create_app(token="t0ken").test_client()


def test_a_gzip_of_blank_lines_is_refused_before_it_is_decompressed(client: FlaskClient) -> None:
    """64 MiB of blank lines took seconds to read and answered 200 with no line; a 8 MiB
    upload of this kind held a thread for half an hour."""
    bomb = blank_lines_gzip(64)
    assert len(bomb) < 100_000
    response = client.post("/api/read?name=x.gz", data=bomb, headers={TOKEN_HEADER: "t0ken"})
    assert response.status_code == 413
    assert "more than 50,000 lines (blank ones included)" in response.get_json()["error"]


def test_a_gzip_of_one_long_line_is_refused_by_its_decompressed_size() -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = packer.compress(b"x" * (api.MAX_SAMPLE_BYTES + 1)) + packer.flush()
    with pytest.raises(api.ApiError, match="larger than 8 MiB") as caught:
        api.read_sample("x.gz", bomb)
    assert caught.value.status == 413


def test_gzip_members_padding_and_corruption() -> None:
    two = gzip.compress(b"2024-05-01T10:00:00.000Z a\n") + gzip.compress(b"2024-05-01T10:00:01Z b")
    assert api.read_sample("x.gz", two + b"\0" * 10) == ["a", "b"]
    with pytest.raises(api.ApiError, match="truncated or corrupt"):
        api.read_sample("x.gz", two + b"garbage")
    with pytest.raises(api.ApiError, match="truncated or corrupt"):
        api.read_sample("x.gz", two[:-12])


def test_blank_lines_count_in_plain_uploads_too() -> None:
    with pytest.raises(api.ApiError, match="more than 50,000 lines") as caught:
        api.read_sample("pasted", b"\n" * (api.MAX_SAMPLE_LINES + 1))
    assert caught.value.status == 413
    assert api.read_sample("pasted", b"\n" * api.MAX_SAMPLE_LINES + b"a") == ["a"]


@pytest.mark.parametrize("path", ["/api/match", "/api/explain"])
def test_json_endpoints_refuse_what_a_form_can_send(client: FlaskClient, path: str) -> None:
    body = json.dumps({"pattern": "x", "line": "x", "lines": ["x"]})
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        response = client.post(path, data=body, content_type=kind)
        assert response.status_code == 415, kind
        assert "application/json" in response.get_json()["error"]


def test_read_needs_the_servers_token(client: FlaskClient) -> None:
    assert client.get("/api/samples").get_json()["token"] == "t0ken"
    for headers in ({}, {TOKEN_HEADER: ""}, {TOKEN_HEADER: "guess"}):
        response = client.post("/api/read", data=b"a\n", content_type="text/plain", headers=headers)
        assert response.status_code == 403
        assert TOKEN_HEADER in response.get_json()["error"]
    response = client.post(
        "/api/read", data=b"a\n", content_type="text/plain", headers={TOKEN_HEADER: "t0ken"}
    )
    assert response.get_json() == {"name": "sample", "lines": ["a"]}


def test_every_server_has_its_own_token() -> None:
    tokens = {create_app().test_client().get("/api/samples").get_json()["token"] for _ in "ab"}
    assert len(tokens) == 2


@pytest.fixture
def served() -> Iterator[str]:
    with PlaygroundServer(create_app(token="t0ken"), port=0) as server:
        yield server.url


def http_post(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # a hang detector
            return response.status, json.load(response)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_cross_site_posts_to_the_served_app_are_refused(served: str) -> None:
    """What a page elsewhere can send without a preflight: a text/plain body, an Origin."""
    foreign = {"Content-Type": "text/plain", "Origin": "https://attacker.example"}
    status, answer = http_post(served + "api/read?name=x", b"secret\n", foreign)
    assert status == 403 and TOKEN_HEADER in answer["error"]
    body = json.dumps({"pattern": "x", "lines": ["x"]}).encode()
    status, answer = http_post(served + "api/match", body, foreign)
    assert status == 415
    status, answer = http_post(served + "api/match", body, {"Content-Type": "application/json"})
    assert (status, answer["matched"]) == (200, [0])
    mine = {"Content-Type": "application/octet-stream", TOKEN_HEADER: "t0ken"}
    assert http_post(served + "api/read?name=x", b"a\n", mine) == (
        200,
        {"name": "x", "lines": ["a"]},
    )


def test_a_gzip_bomb_sent_to_the_served_app_gets_a_413(served: str) -> None:
    headers = {"Content-Type": "application/octet-stream", TOKEN_HEADER: "t0ken"}
    status, answer = http_post(served + "api/read?name=x.gz", blank_lines_gzip(64), headers)
    assert status == 413 and "50,000 lines" in answer["error"]
