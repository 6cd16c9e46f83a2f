"""The OpenAPI document and docs page (issue items 6 and 7)."""

from __future__ import annotations

from django.test import Client

EXPECTED = {
    "/api/v1/auth/token": {"post"},
    "/api/v1/me": {"get"},
    "/api/v1/me/pin": {"post"},
    "/api/v1/catalogue": {"get"},
    "/api/v1/cases": {"get", "post"},
    "/api/v1/cases/{number}": {"get"},
    "/api/v1/cases/{number}/events": {"get"},
    "/api/v1/cases/{number}/updates": {"post"},
    "/api/v1/cases/{number}/transitions": {"post"},
    "/api/v1/cases/{number}/close": {"post"},
    "/api/v1/cases/{number}/reopen": {"post"},
    "/api/v1/cases/{number}/follow-on": {"post"},
    "/api/v1/cases/{number}/priority": {"post"},
    "/api/v1/cases/{number}/outcome": {"post"},
    "/api/v1/cases/{number}/assign": {"post"},
    "/api/v1/cases/{number}/all-info": {"post"},
    "/api/v1/cases/{number}/root-cause": {"post"},
    "/api/v1/cases/{number}/fix-delivered": {"post"},
    "/api/v1/cases/{number}/service-restored": {"post"},
    "/api/v1/cases/{number}/attachments": {"get"},
    "/api/v1/attachments/{attachment_id}/download": {"get"},
    "/api/v1/cases/{number}/escalation": {"get"},
    "/api/v1/cases/{number}/escalations": {"post"},
    "/api/v1/reports/service-levels": {"get"},
    "/api/v1/reports/backlog": {"get"},
    "/api/v1/reports/follow-ups": {"get"},
    "/api/v1/reports/escalations": {"get"},
    "/api/v1/reports/satisfaction": {"get"},
    "/api/v1/telephony/pin-checks": {"post"},
    "/api/v1/telephony/calls": {"post"},
    "/api/v1/telephony/calls/{call_id}/answered": {"post"},
    "/api/v1/telephony/calls/{call_id}/ended": {"post"},
    "/api/v1/telephony/calls/{call_id}/cases": {"get"},
    "/api/v1/articles": {"get"},
    "/api/v1/articles/{article_id}": {"get"},
    "/api/v1/search": {"get"},
    "/api/v1/contact": {"get"},
    "/api/v1/resources/products": {"get"},
    "/api/v1/resources/products/{product_id}": {"get"},
    "/api/v1/resources/downloads/{download_id}": {"get"},
    "/api/v1/licences": {"get"},
    "/api/v1/licences/{licence_id}/download": {"get"},
    # G2, G3 (issue 14): sites, VoIP readiness, change control, the VoIP hold.
    "/api/v1/sites": {"get"},
    "/api/v1/sites/{site_id}/voip-assessments": {"get", "post"},
    "/api/v1/sites/{site_id}/voip-assessments/upload": {"post"},
    "/api/v1/sites/{site_id}/changes": {"get", "post"},
    "/api/v1/cases/{number}/voip-hold": {"post"},
    # G1, G4-G6, item 7 of issue 14: site work.
    "/api/v1/cutovers": {"get", "post"},
    "/api/v1/cutovers/{notice_id}": {"get"},
    "/api/v1/cutovers/{notice_id}/diagram": {"get", "post"},
    "/api/v1/cases/{number}/site-visits": {"get", "post"},
    "/api/v1/site-visits/{visit_id}/decision": {"post"},
    "/api/v1/cases/{number}/routing": {"post"},
    "/api/v1/cases/{number}/timeline": {"get"},
}


def test_openapi_document_lists_every_path(db):  # R: B10
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "casedesk API"
    paths = {path: set(ops) for path, ops in doc["paths"].items()}
    assert paths == EXPECTED
    # Both ways in are documented; choices are enumerated; limits are published.
    assert {"BearerAuth", "SessionAuth"} <= set(doc["components"]["securitySchemes"])
    schemas = doc["components"]["schemas"]
    assert schemas["CaseOpenIn"]["properties"]["subject"]["maxLength"] == 200
    assert schemas["CaseOpenIn"]["additionalProperties"] is False
    token = doc["paths"]["/api/v1/auth/token"]["post"]
    assert "security" not in token or token["security"] in ([], [{}])


def test_docs_page_loads(db):
    # The page is Swagger UI for this API's document, and what it loads is served.
    import json
    import re

    client = Client()
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "<title>casedesk API</title>" in page
    settings = re.search(r'id="swagger-settings">(.*?)</script>', page, re.S)
    assert settings and json.loads(settings[1])["url"] == "/api/v1/openapi.json"
    assert client.get(json.loads(settings[1])["url"]).json()["info"]["title"] == "casedesk API"
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served.streaming_content if served.streaming else [served.content])


def test_schema_names_are_unique(db):
    # Two schemas of one name collapse into one component, and the document then describes
    # one operation's answer with the other's shape (found by the fuzz run, issue 14).
    import ast
    import pathlib

    import casedesk.api.schemas as package

    names: list[str] = []
    for path in pathlib.Path(package.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        names += [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})
