"""The console's page and files as served, in-process and over a socket: everything it loads
comes from the mock itself and ships in the wheel."""

from __future__ import annotations

import fnmatch
import re
import sys
from pathlib import Path

import pytest
import requests

import mockserver
from tests.helpers import Served

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

FILES = Path(mockserver.__file__).parent / "web" / "console"
TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}


def test_the_page_loads_only_its_own_files_under_a_strict_policy(api):
    page = api.request("GET", "/__mock__/ui")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert api.request("GET", "/__mock__/ui/").status == 200
    referenced = re.findall(r'(?:href|src)="(/__mock__/ui/static/[^"]+)"', page.text)
    assert len(referenced) == 2
    for path in referenced:
        asset = api.request("GET", path)
        assert asset.status == 200, path
        assert asset.headers["Content-Type"].startswith(TYPES[Path(path).suffix])
    assert api.request("GET", "/__mock__/ui/static/nope.js").status == 404


def test_every_module_a_script_imports_is_shipped_and_nothing_is_fetched_from_elsewhere():
    names = {path.name for path in FILES.iterdir()}
    for script in FILES.glob("*.js"):
        text = script.read_text(encoding="utf-8")
        for imported in re.findall(r'from "\./([\w.]+)"', text):
            assert imported in names, f"{script.name} imports missing {imported}"
    for path in FILES.iterdir():
        assert not re.search(r"https?://", path.read_text(encoding="utf-8")), path.name


def test_the_console_files_are_package_data():
    pyproject = Path(mockserver.__file__).parent.parent / "pyproject.toml"
    patterns = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["mockserver"]
    for path in FILES.iterdir():
        relative = path.relative_to(FILES.parent.parent).as_posix()
        assert any(fnmatch.fnmatch(relative, pattern) for pattern in patterns), relative


def test_serve_names_the_console_and_keeps_its_reads_out_of_the_access_log(tmp_path,
                                                                           wsgi_server):
    server = Served("phinite", "--store", "memory", cwd=tmp_path, server=wsgi_server)
    quiet = {"X-Mock-Console": "refresh"}
    assert requests.get(f"{server.base}/__mock__/runs", headers=quiet, timeout=5).ok
    assert requests.post(f"{server.base}/__mock__/clock/freeze", headers=quiet, timeout=5).ok
    assert requests.get(f"{server.base}/__mock__/faults", timeout=5).ok
    log = server.stop()
    assert f"QA console   {server.base}/__mock__/ui" in log
    assert '"POST /__mock__/clock/freeze HTTP/1.1" 200' in log
    assert '"GET /__mock__/faults HTTP/1.1" 200' in log
    assert "/__mock__/runs" not in log
