"""Materials: upload (PDF, JPEG, PNG; size and type checked; content-hashed), list, read, library."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.responses import Response

from case_service.api import idempotency, schemas
from case_service.api.deps import ContextDep, IdempotencyKey, ServicesDep
from case_service.api.openapi import REQUIRES_KEY
from case_service.cases import service as cases
from case_service.domain.errors import PayloadTooLargeError, UnsupportedMediaError
from case_service.domain.filenames import safe_filename
from case_service.storage.models import Material, MaterialBlob

router = APIRouter(tags=["materials"])
CaseRef = Annotated[str, Path(min_length=1, max_length=32, description="numeric id or case number")]


def _out(material: Material, blob: MaterialBlob, reused: bool) -> schemas.MaterialOut:
    return schemas.MaterialOut(
        id=material.id,
        name=material.name,
        filename=material.filename,
        sha256=blob.sha256,
        content_type=blob.content_type,
        size=blob.size,
        reused=reused,
        uploaded_at=material.uploaded_at,
    )


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLargeError(
            f"the file is larger than {limit // 1024} KiB", details={"max_bytes": limit}
        )
    return data


@router.post(
    "/cases/{case_id}/materials",
    status_code=201,
    response_model=schemas.MaterialOut,
    openapi_extra=REQUIRES_KEY,
)
async def upload_material(
    *,
    case_id: CaseRef,
    ctx: ContextDep,
    services: ServicesDep,
    name: Annotated[
        str, Form(min_length=1, max_length=200, description="the material's name on the item's list")
    ],
    file: Annotated[UploadFile, File(description="PDF, JPEG or PNG")],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Requires `Idempotency-Key`. The type is taken from the file's content, not from its name."""
    data = await _read_limited(file, services.settings.case.max_upload_bytes)
    if not data:
        raise UnsupportedMediaError("the file is empty")
    content_type = cases.sniff_type(data)
    if content_type is None:
        raise UnsupportedMediaError(
            "only PDF, JPEG and PNG files are accepted", details={"declared": file.content_type}
        )
    case = cases.load(ctx, case_id)

    def produce() -> schemas.MaterialOut:
        material = cases.add_material(
            ctx, case, name=name, filename=safe_filename(file.filename), content_type=content_type, data=data
        )
        blob = ctx.session.get(MaterialBlob, material.sha256)
        assert blob is not None
        return _out(material, blob, reused=False)

    return idempotency.run(
        ctx.session,
        scope=ctx.principal.idempotency_scope,
        key=idempotency_key,
        request_hash=idempotency.fingerprint("POST material", case.id, name, data),
        produce=produce,
    )


@router.get("/cases/{case_id}/materials", response_model=list[schemas.MaterialOut])
def list_materials(case_id: CaseRef, ctx: ContextDep) -> list[schemas.MaterialOut]:
    case = cases.load(ctx, case_id)
    return [
        _out(material, blob, reused) for material, blob, reused in cases.case_materials(ctx.session, case)
    ]


@router.get(
    "/cases/{case_id}/materials/{material_id}/content",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/jpeg": {}, "image/png": {}}}},
)
def material_content(
    case_id: CaseRef, material_id: Annotated[int, Path(ge=1, le=2**62)], ctx: ContextDep
) -> Response:
    """Every read is written to the audit trail."""
    case = cases.load(ctx, case_id)
    _material, blob = cases.read_material(ctx, case, material_id)
    ctx.session.commit()
    return Response(blob.data, media_type=blob.content_type, headers={"ETag": f'"{blob.sha256}"'})


@router.get("/me/materials", response_model=list[schemas.MaterialOut])
def my_library(ctx: ContextDep) -> list[schemas.MaterialOut]:
    """An applicant's material library: what was handed in once is reused for the next application."""
    rows = cases.library(ctx)
    blobs = {row.sha256: ctx.session.get(MaterialBlob, row.sha256) for row in rows}
    return [_out(row, blob, reused=False) for row in rows if (blob := blobs[row.sha256]) is not None]
