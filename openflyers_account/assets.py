"""Static files under content-hashed names, which browsers keep for a year without asking again (performance
budget: bytes).

`url_for('static', filename='css/site.css')` gives `/static/css/site.<hash>.css`; that name changes whenever the
file does, so it is served with `Cache-Control: public, max-age=31536000, immutable` and a second page makes no
request for it. A plain name (an old page, a bookmark) is still served, cached for an hour. Text files are compressed once, when
the app starts, with Brotli and gzip.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
from pathlib import Path

import brotli
from flask import Flask, Response, abort, request, send_from_directory

YEAR = 365 * 24 * 3600
PLAIN_MAX_AGE = 3600
COMPRESSED_SUFFIXES = (".css", ".js", ".svg", ".txt")


def hashed_name(name: str, content: bytes) -> str:
    """`css/site.css` as `css/site.<first 12 hex digits of its SHA-256>.css`."""
    digest = hashlib.sha256(content).hexdigest()[:12]
    folder, _, file = name.rpartition("/")
    stem, dot, suffix = file.rpartition(".")
    hashed = f"{stem}.{digest}.{suffix}" if dot else f"{file}.{digest}"
    return f"{folder}/{hashed}" if folder else hashed


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder)
    hashed: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            name = path.relative_to(folder).as_posix()
            hashed[name] = hashed_name(name, path.read_bytes())
    originals = {value: key for key, value in hashed.items()}

    @app.url_defaults
    def content_hashed(endpoint: str, values: dict) -> None:
        if endpoint == "static" and values.get("filename") in hashed:
            values["filename"] = hashed[values["filename"]]

    compressed = {name: _compressed((folder / name).read_bytes()) for name in hashed
                  if name.endswith(COMPRESSED_SUFFIXES)}

    def static(filename: str):
        original = originals.get(filename)
        if original is None:
            if filename not in hashed:
                abort(404)
            return send_from_directory(folder, filename, max_age=PLAIN_MAX_AGE)
        if original in compressed:
            response = _in_best_encoding(compressed[original], mimetypes.guess_type(original)[0] or "text/plain")
        else:
            response = send_from_directory(folder, original, max_age=YEAR, etag=False, last_modified=None)
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response

    app.view_functions["static"] = static


@functools.lru_cache(maxsize=64)
def _compressed(content: bytes) -> dict[str, bytes]:
    """Once per process for each file's content: an app made again (the tests make one per test) reuses it."""
    return {"br": brotli.compress(content, quality=11), "gzip": gzip.compress(content, 9, mtime=0), "": content}


def _in_best_encoding(variants: dict[str, bytes], mimetype: str) -> Response:
    accepted = request.accept_encodings
    encoding = next((name for name in ("br", "gzip") if accepted[name]), "")
    response = Response(variants[encoding], mimetype=mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return response
