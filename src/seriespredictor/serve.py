"""The forecast service (``seriespredictor serve MODEL``): a FastAPI app over one saved model.

- ``POST /forecast``: series in, forecasts out (the JSON is described in :mod:`.forecast_json`),
  through ``Forecaster.predict(h, data=..., level=...)``; requests that arrive together share
  one pass (:mod:`.batching`).
- ``GET /model``: the model's metadata; ``GET /health``: the same, with counts of requests and
  forecast passes.

The model is read once, at start, and kept in memory: replacing or deleting its folder while
the service runs changes nothing it answers (``GET /model`` then says ``"file_changed": true``);
restart the service to serve the new file.

A body larger than :data:`MAX_BODY_BYTES` (64 MiB) gets a 413 without being read whole. A request
the model cannot forecast gets a 422 with the library's one-line message, as the CLI
prints it (400 when the body is not JSON); an unexpected failure a 500 with one line, logged
with its traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import os
import socket
from datetime import datetime, timezone
from pathlib import Path

try:
    import uvicorn
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException
except ImportError as e:
    from .errors import MissingExtraError

    raise MissingExtraError(f"the forecast service needs FastAPI and uvicorn ({e.name} is missing): "
                            "pip install 'seriespredictor[serve]'") from None

from . import __version__
from .batching import Batcher
from .errors import SeriesValidationError, first_sentence
from .forecast_json import NotJSON, frame, parse, responses
from .forecast_json import Request as SeriesRequest
from .forecaster import Forecaster
from .persistence import CONFIG, WEIGHTS

log = logging.getLogger("seriespredictor.serve")
GRACE_S = 10  # seconds a stopping server gives the requests in flight
MAX_BODY_BYTES = 64 * 2**20  # a larger request is refused (413) before it is read: some 3 million points of JSON


class Service:
    """One loaded model: its metadata and the forecasts of batches of requests."""

    def __init__(self, model: Forecaster, path):
        if model.exog_ is not None:
            raise SeriesValidationError(f"{str(path)!r} takes covariates, which the service's requests do not carry; serve a model "
                                        "fitted without covariates")
        self.model, self.path = model, Path(path).resolve()
        self.loaded_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.loaded_file = _identity(self.path)
        self.passes = 0

    def metadata(self) -> dict:
        m = self.model
        return {"path": str(self.path), "version": __version__, "loaded_at": self.loaded_at, "h": m.nets_[0].config.h,
                "freq": m.freq_, "seq_size": m.seq_size_, "series": len(m.ids_), "head": m.params_["head"],
                "alias": m.params_["alias"], "file_changed": _identity(self.path) != self.loaded_file}

    def forecast(self, key: tuple, requests: list[SeriesRequest]) -> list:
        """Each request's answer (or its error) from one ``predict`` over all of them; where that
        fails on the data, each request again alone, so an error reaches only its own request."""
        h, level = key
        columns = self.model.data_options_
        try:
            self.passes += 1
            out = self.model.predict(h, data=frame(requests, columns), level=list(level))
            return responses(requests, out, self.model.params_["alias"], columns)
        except Exception as e:  # a request's bad data, or a failure: each request again alone, so it reaches only its own
            if len(requests) == 1:
                return [e]
            return [self.forecast(key, [r])[0] for r in requests]


def _identity(path: Path):
    """What tells a model folder from the one that replaces it; None where it is gone."""
    try:
        return [(s.st_dev, s.st_ino, s.st_mtime_ns, s.st_size) for s in map(os.stat, (path, path / CONFIG, path / WEIGHTS))]
    except OSError:
        return None


def _error(status: int, text: str) -> JSONResponse:
    return JSONResponse({"error": text}, status_code=status)


def create_app(service: Service, *, wait_s: float = 0.002) -> FastAPI:
    """The app serving ``service``; requests arriving within ``wait_s`` seconds share a pass."""
    batcher = Batcher(service.forecast, wait_s=wait_s)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        task = asyncio.create_task(batcher.loop())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app = FastAPI(title="seriespredictor", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, e: HTTPException) -> JSONResponse:  # 404, 405: the same shape as ours
        return _error(e.status_code, f"{e.detail}: {request.method} {request.url.path}; the endpoints are "
                                     "POST /forecast, GET /health and GET /model")

    @app.get("/model")
    async def model() -> dict:
        return service.metadata()

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok", "requests": batcher.requests, "batches": batcher.batches, "forecast_passes": service.passes,
                "model": service.metadata()}

    @app.post("/forecast")
    async def forecast(request: Request) -> JSONResponse:
        try:
            body = await _body(request)
            if body is None:
                return _error(413, f"the request body is larger than {MAX_BODY_BYTES // 2**20} MiB; send the series in several requests")
            series = parse(body)
            return JSONResponse(await batcher.submit(series.key, series.ids, series))
        except SeriesValidationError as e:
            return _error(422, str(e))
        except NotJSON as e:
            return _error(400, str(e))
        except Exception as e:
            log.exception("POST /forecast failed")
            return _error(500, f"internal error: {first_sentence(e)}; the server's log has the details")

    return app


async def _body(request: Request) -> bytes | None:
    """The request's body, or None once it passes :data:`MAX_BODY_BYTES` (by its Content-Length,
    before reading; or while reading, for a body sent in chunks)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, or a one-line error naming the fix."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except OSError as e:
        raise SeriesValidationError(f"host={host!r} is not an address of this machine ({e.strerror}); "
                                    "give one, e.g. host='127.0.0.1'") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart takes the port of the server just stopped
        sock.bind(address)
    except OSError as e:
        sock.close()
        raise SeriesValidationError(f"cannot listen on {host}:{port} ({e.strerror}); choose another port= "
                                    "or stop what uses it") from None
    return sock


def _log_config(quiet: bool) -> dict:
    """uvicorn's logging, with this module's messages beside its own."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["seriespredictor"] = {"handlers": ["default"], "level": "WARNING" if quiet else "INFO", "propagate": False}
    return config


def serve(model: Forecaster, path, *, host: str = "127.0.0.1", port: int = 8000, quiet: bool = False) -> None:
    """Serve ``model`` (read from ``path``) on ``host:port`` until SIGINT or SIGTERM; requests
    in flight are answered first. uvicorn raises the signal again once it has stopped."""
    sock = listen(host, port)
    try:
        service = Service(model, path)
        config = uvicorn.Config(create_app(service), log_config=_log_config(quiet), log_level="warning" if quiet else "info",
                                access_log=not quiet, timeout_graceful_shutdown=GRACE_S, lifespan="on")
        m, where = service.metadata(), f"[{host}]" if ":" in host else host
        log.info("serving %s (%d series, h=%d, freq %s) on http://%s:%d: POST /forecast, GET /health, GET /model",
                 m["path"], m["series"], m["h"], m["freq"], where, port)
        if not sock.getsockname()[0].startswith(("127.", "::1")):
            log.warning("listening on %s: any machine that reaches it can query the model; the service has no "
                        "authentication", host)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
