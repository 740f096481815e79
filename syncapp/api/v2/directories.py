"""/api/v2/directories: the directory tree, in tree order (by path), each with its parent."""

from ninja import Query, Router

from .. import queries, schemas, serialize
from ..auth import READ
from ..conditional import changed_at, conditional_response, json_bytes, latest

router = Router(tags=["directories"])


@router.get("/directories", response=schemas.DirectoryTree, auth=READ, summary="The directory tree")
def list_directories(request, include_removed: bool = Query(False, description="Also directories removed upstream.")):
    configs = queries.sync_configs()
    rows = queries.directories(configs, include_removed=include_removed)
    tree = {"items": [serialize.directory(row) for row in rows], "count": len(rows)}
    moment = latest(changed_at(row, configs["directory"]) for row in rows)
    return conditional_response(request, json_bytes(tree), last_modified=moment)
