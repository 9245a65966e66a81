"""An item's files: the generic application form for every item, an admin's upload in its place, public
reads with the right type, names that cannot leave the item, and who may upload."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from case_service.catalogue import files as item_files
from case_service.catalogue.service import bundled_items, import_bundled
from case_service.documents.application_form import render_application_form
from case_service.storage.models import AuditEntry, ItemFile
from hall.http_errors import error_message
from tests.case_service.conftest import ITEM_COMPANY, ITEM_FOOD, CaseApi

pytestmark = pytest.mark.integration
TEACHER = "513200-XK-JY-0036"  # 教师资格认定: the guide names its form 教师资格认定申请表.pdf


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(out.split())


def _url(code: str, name: str) -> str:
    return f"/api/v1/items/{code}/files/{quote(name)}"


def test_every_item_serves_its_generic_application_form(case_api: CaseApi, tmp_path: Path) -> None:
    client = case_api.client
    page = client.get("/api/v1/items", params={"limit": 200}).json()
    assert page["total"] == 75 and len(page["items"]) == 75
    for item in page["items"]:
        forms = [f for f in item["files"] if f["generic"]]
        assert len(forms) == 1, item["code"]
        assert forms[0]["label"] == "通用表样" and forms[0]["content_type"] == "application/pdf"
    teacher = client.get(f"/api/v1/items/{TEACHER}").json()
    assert [f["name"] for f in teacher["files"]] == ["教师资格认定申请表.pdf"]  # as the guide names it
    food = client.get(f"/api/v1/items/{ITEM_FOOD}").json()
    answer = client.get(food["files"][0]["url"])  # no token: public
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''" + quote(food["files"][0]["name"]) in answer.headers["content-disposition"]
    text = _text(answer.content, tmp_path)
    assert "通用表样" in text and food["name"] + "申请" in text and ITEM_FOOD in text
    for material in food["materials"]:
        assert "□" + "".join(material["name"].split()) in text
    assert "申请人（单位）名称" in text and "联系电话" in text


def test_every_bundled_item_has_a_form_name_and_renders(tmp_path: Path) -> None:
    items = bundled_items()
    names = {item["code"]: item_files.form_name(item) for item in items}
    guide_named = {code for code, name in names.items() if not name.endswith("申请表.pdf") or code == TEACHER}
    assert guide_named == {TEACHER, "513200-XK-RS-0153", "513200-XK-SJ-0510", ITEM_COMPANY, ITEM_FOOD}
    assert all(
        names[item["code"]] == f"{item['name']}申请表.pdf"
        for item in items
        if item["code"] not in guide_named
    )
    for item in items:
        text = _text(render_application_form(item), tmp_path)
        assert "".join(item["name"].split()) in text and item["code"] in text, item["code"]
        assert text.count("□") == len(item["materials"]), item["code"]


def test_a_rare_character_in_the_items_name_prints(case_api: CaseApi, tmp_path: Path) -> None:
    api, client = case_api, case_api.client
    item = client.get(f"/api/v1/items/{ITEM_COMPANY}").json()
    edit = {k: v for k, v in item.items() if k not in ("code", "version", "source")}  # files is read-only
    edit["name"] = "𠮷祥企业登记"
    assert (
        client.put(f"/api/v1/items/{ITEM_COMPANY}", json=edit, headers=api.staff("admin")).status_code == 200
    )
    item = client.get(f"/api/v1/items/{ITEM_COMPANY}").json()
    form = next(f for f in item["files"] if f["generic"])
    assert form["name"] == "公司登记(备案)申请书.pdf"  # the guide's name stays
    text = _text(client.get(form["url"]).content, tmp_path)
    assert "𠮷祥企业登记申请表" in text


def test_an_admins_upload_takes_the_forms_place_and_stays(case_api: CaseApi, tmp_path: Path) -> None:
    api, client = case_api, case_api.client
    name = "食品经营许可申请书.pdf"
    official = b"%PDF-1.4\n% the department's own form\n%%EOF\n"
    answer = client.put(
        _url(ITEM_FOOD, name),
        files={"file": (name, official, "application/pdf")},
        headers=api.staff("admin"),
    )
    assert answer.status_code == 200, answer.text
    listed = {f["name"]: f for f in answer.json()["files"]}
    assert listed[name]["generic"] is False and listed[name]["label"] == "部门表样"
    assert [f for f in answer.json()["files"] if f["generic"]] == []  # nothing generic under that name
    served = client.get(_url(ITEM_FOOD, name))
    assert served.status_code == 200 and served.content == official
    # a sample beside it, an image
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    sample = "食品经营许可证样本.png"
    assert (
        client.put(
            _url(ITEM_FOOD, sample), files={"file": (sample, png, "image/png")}, headers=api.staff("admin")
        ).status_code
        == 200
    )
    got = client.get(_url(ITEM_FOOD, sample))
    assert got.headers["content-type"] == "image/png" and got.headers["x-content-type-options"] == "nosniff"
    # a restart of the catalogue import leaves the upload alone
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        import_bundled(session)
        session.commit()
        row = session.scalar(select(ItemFile).where(ItemFile.code == ITEM_FOOD, ItemFile.name == name))
        assert row is not None and row.uploaded_by == "staff:admin"
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == ITEM_FOOD)).all()
        assert actions.count("item.file") == 2
    assert client.get(_url(ITEM_FOOD, name)).content == official
    # removed: the generic form is back under the name
    assert client.delete(_url(ITEM_FOOD, name), headers=api.staff("admin")).status_code == 200
    again = client.get(_url(ITEM_FOOD, name))
    assert again.status_code == 200 and b"%PDF" in again.content[:8] and again.content != official
    assert "通用表样" in _text(again.content, tmp_path)


def test_a_clerk_and_a_stranger_cannot_upload(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    url = _url(ITEM_FOOD, "食品经营许可申请书.pdf")
    body = {"file": ("x.pdf", b"%PDF-1.4 forged", "application/pdf")}
    assert client.put(url, files=body).status_code == 401
    assert client.put(url, files=body, headers=api.staff("clerk1")).status_code == 403
    assert client.delete(url, headers=api.staff("clerk1")).status_code == 403
    assert b"forged" not in client.get(url).content


@pytest.mark.parametrize(
    "name",
    ["../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2fcatalogue.db", "a\\..\\b.pdf", ".hidden.pdf"],
)
def test_no_name_leaves_the_item(case_api: CaseApi, name: str) -> None:
    api, client = case_api, case_api.client
    url = f"/api/v1/items/{ITEM_FOOD}/files/{name}"
    assert client.get(url).status_code == 404
    answer = client.put(
        url, files={"file": ("x.pdf", b"%PDF-1.4", "application/pdf")}, headers=api.staff("admin")
    )
    assert answer.status_code in (404, 422), answer.text
    assert client.get(f"/api/v1/items/{ITEM_FOOD}/files/passwd").status_code == 404


def test_an_upload_must_be_what_its_name_says(case_api: CaseApi) -> None:
    api, client = case_api, case_api.client
    bad = client.put(
        _url(ITEM_FOOD, "样本.pdf"),
        files={"file": ("x.pdf", b"<html><script>alert(1)</script>", "application/pdf")},
        headers=api.staff("admin"),
    )
    assert bad.status_code == 422 and "不符" in error_message(bad.json())
    html = client.put(
        _url(ITEM_FOOD, "样本.html"),
        files={"file": ("x.html", b"<html>", "text/html")},
        headers=api.staff("admin"),
    )
    assert html.status_code == 422 and "不受支持" in error_message(html.json())
    assert client.get(_url(ITEM_FOOD, "样本.pdf")).status_code == 404
    assert client.get(_url("513200-XK-XX-9999", "x.pdf")).status_code == 404
