"""`/v2/files`: a record's files and folders, one entry, and its content through a signed URL (§6)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from . import files
from .pagination import paginate
from .state import DemoState
from .web import json_response, ok

bp = Blueprint("demo_files", __name__)
content = Blueprint("demo_file_content", __name__)


@bp.get("/files")
def list_files() -> Response:
    """A record's files, folders and connected entries (all levels unless `parent_folder_id`); cursor pages."""
    return json_response(paginate(files.of_record(g.ws, request.args), 50, 200))


@bp.get("/files/<fid>")
def get_file(fid: str) -> Response:
    """One entry; a folder says whether it has children."""
    return ok(files.with_children(g.ws, files.entry(g.ws, fid)))


@bp.get("/files/<fid>/download")
def download(fid: str) -> Response:
    """302 to a short-lived signed URL of the file's content."""
    url = files.download_url(request.host_url.rstrip("/"), files.entry(g.ws, fid), g.settings.file_url_seconds)
    return Response(status=302, headers={"Location": url})


@content.get("/_files/<fid>")
def file_content(fid: str) -> Response:
    """The bytes behind a signed download URL (no token: the signature is the credential)."""
    if not files.signed(fid, request.args.get("expires"), request.args.get("signature")):
        return Response("Request has expired or its signature does not match.\n", status=403, mimetype="text/plain")
    state: DemoState = current_app.extensions["demo_attio"]
    for ws in state.workspaces().values():
        if fid in ws.file_contents:
            f = ws.files[fid]
            return Response(ws.file_contents[fid], mimetype=f["content_type"] or "application/octet-stream",
                            headers={"Content-Disposition": f'attachment; filename="{f["name"]}"'})
    return Response("Not found.\n", status=404, mimetype="text/plain")
