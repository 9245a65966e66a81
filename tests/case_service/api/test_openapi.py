"""The OpenAPI document covers every resource, with examples and the one error shape."""

from __future__ import annotations

from tests.case_service.conftest import CaseApi


def test_the_document_lists_every_resource_with_examples(sqlite_api: CaseApi) -> None:
    document = sqlite_api.client.get("/openapi.json").json()
    paths = document["paths"]
    for path in (
        "/api/v1/auth/device-token",
        "/api/v1/auth/applicant-token",
        "/api/v1/items",
        "/api/v1/items/{code}",
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/actions/{action}",
        "/api/v1/cases/{case_id}/materials",
        "/api/v1/cases/{case_id}/documents/{kind}.pdf",
        "/api/v1/cases/{case_id}/evaluations",
        "/api/v1/supervision",
        "/api/v1/audit/verify",
    ):
        assert path in paths, path
    create = paths["/api/v1/cases"]["post"]
    assert any(parameter["name"] == "Idempotency-Key" for parameter in create["parameters"])
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/CaseOut")
    schemas = document["components"]["schemas"]
    assert schemas["ApplicantIn"]["properties"]["id_number"]["examples"]
    assert "/web/work" not in paths  # staff pages are not API
