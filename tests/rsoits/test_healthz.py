"""/healthz: 200 with the database state; 503 when the broker is unreachable."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(REDIS_URL="")
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "in-process"


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_healthz_reports_dead_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


def test_media_root_is_a_path_under_the_production_settings(monkeypatch, tmp_path):
    """Upload screens join MEDIA_ROOT with '/': it must be a pathlib.Path whatever the env says."""
    import importlib
    from pathlib import Path

    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    monkeypatch.setenv("DEBUG", "1")
    import rsoits.settings as production

    reloaded = importlib.reload(production)
    assert isinstance(reloaded.MEDIA_ROOT, Path)
    assert tmp_path / "imports" == reloaded.MEDIA_ROOT / "imports"
