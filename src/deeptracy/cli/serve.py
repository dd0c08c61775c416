"""`deeptracy serve`: upgrade the database, then serve the API with uvicorn."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from deeptracy.cli.common import fail, open_database, settings

_ADDRESS = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]]*)):(?P<port>\d{1,5})$")


def parse_address(address: str) -> tuple[str, int]:
    """HOST:PORT (or [IPv6]:PORT, or :PORT for every interface) as host and port."""
    match = _ADDRESS.match(address.strip())
    if match is None or not 0 < int(match["port"]) < 65536:
        raise ValueError(f"SERVER_ADDRESS must be HOST:PORT, not {address!r}")
    host = match["v6"] or match["host"] or "0.0.0.0"  # noqa: S104 (":PORT" asks for all)
    return host, int(match["port"])


def serve(
    address: Annotated[
        str | None,
        typer.Option("--address", help="HOST:PORT to listen on (default: SERVER_ADDRESS)."),
    ] = None,
) -> None:
    """Serve the REST API and the OSV-compatible /v1 API."""
    import uvicorn  # the web stack loads only for this command

    from deeptracy.api import create_app

    config = settings()
    try:
        host, port = parse_address(address or config.server_address)
    except ValueError as exc:
        fail(str(exc))
    db = open_database(config)  # applies pending migrations first
    app = create_app(config, database=db)
    try:
        uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)
    finally:
        db.dispose()
