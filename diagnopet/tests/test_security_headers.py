"""Content-Security-Policy on HTML pages (diagnopet.middleware.ContentSecurityPolicyMiddleware) and a self-hosted
Swagger UI (drf-spectacular-sidecar): the API docs load no code from a CDN."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

CSP = "Content-Security-Policy"


def test_the_api_docs_load_only_this_sites_files_under_a_strict_policy(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(source.startswith("/") for source in sources), sources
    assert "<script>" not in html  # the init script is a file too (script-src 'self' only)
    policy = response[CSP]
    assert "script-src 'self'" in policy
    assert "unsafe-eval" not in policy
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source
    script = client.get(next(s for s in sources if s.startswith("/api/docs/")))
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize("url", ["/admin/login/", "/admin/no-such-page/"])
def test_admin_pages_and_html_error_pages_have_the_policy(client, url, settings):
    response = client.get(url)

    assert response[CSP] == settings.CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in response[CSP]
    assert "object-src 'none'" in response[CSP]


def test_json_answers_have_no_policy_and_the_setting_can_turn_it_off(client, settings):
    assert CSP not in client.get("/api/v1/catalog/tests/")
    assert CSP not in client.get("/healthz")

    settings.CONTENT_SECURITY_POLICY = ""
    assert CSP not in client.get("/admin/login/")
