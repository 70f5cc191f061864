"""``GET /v1/functions`` and ``GET /v1/functions/{functionId}``: appwrite.json's functions in Appwrite's Function
model (what ``appwrite functions list`` and ``appwrite pull functions`` read; API key with ``functions.read``).

Locally every function is "deployed" from its folder (deployment ``local``, ready, live). ``vars`` is empty: the
local stack's function variables come from ``.env`` and the environment and are not served.
"""

from __future__ import annotations

from typing import Any

from ..errors import AppwriteError
from ..runtime.functions import FunctionsService
from ..runtime.specs import FunctionSpec
from ..storage.access import require_scope
from ..storage.rows import Rows
from .endpoint import Ctx, check_uid
from .listing import page

DEFAULT_SPECIFICATION = "s-1vcpu-512mb"


def function_json(spec: FunctionSpec, stamp: str) -> dict[str, Any]:
    specification = spec.specification or DEFAULT_SPECIFICATION
    return {
        "$id": spec.id,
        "$createdAt": stamp,
        "$updatedAt": stamp,
        "execute": list(spec.execute),
        "name": spec.name,
        "description": "",
        "enabled": spec.enabled,
        "live": True,
        "logging": spec.logging,
        "runtime": spec.runtime,
        "deploymentRetention": 0,
        "deploymentId": "local",
        "deploymentCreatedAt": stamp,
        "latestDeploymentId": "local",
        "latestDeploymentCreatedAt": stamp,
        "latestDeploymentStatus": "ready",
        "scopes": list(spec.scopes),
        "vars": [],
        "events": list(spec.events),
        "schedule": spec.schedule,
        "timeout": spec.timeout_s,
        "entrypoint": spec.entrypoint,
        "commands": spec.commands,
        "version": "v5",
        "installationId": "",
        "providerRepositoryId": "",
        "providerBranch": "",
        "providerRootDirectory": "",
        "providerSilentMode": False,
        "providerBranches": [],
        "providerPaths": [],
        "buildSpecification": specification,
        "runtimeSpecification": specification,
        "specification": specification,
        "emailEnabled": False,
    }


def list_functions(ctx: Ctx, functions: FunctionsService, rows: Rows) -> dict[str, Any]:
    require_scope(ctx.caller, "functions.read")
    items = [function_json(spec, rows.created_at) for spec in functions.specs.values()]
    return {"total": len(items), "functions": page(items, ctx.param("queries"))}


def get_function(ctx: Ctx, functions: FunctionsService, rows: Rows) -> dict[str, Any]:
    require_scope(ctx.caller, "functions.read")
    function_id = check_uid("functionId", ctx.path["functionId"])
    spec = functions.specs.get(function_id)
    if spec is None:
        raise AppwriteError(404, "function_not_found", "Function with the requested ID could not be found.")
    return function_json(spec, rows.created_at)
