"""Model files: a directory holding ``weights.safetensors`` and ``config.json``.

The weights are tensors only (safetensors cannot run code); everything else - settings,
scaler statistics, versions - is JSON. Nothing is ever unpickled. Writes are atomic: the
directory is built under a temporary name, flushed to disk, then renamed into place, and an
existing model is only replaced when the caller asks for it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .errors import ModelFileError

FORMAT_VERSION = 1
WEIGHTS = "weights.safetensors"
CONFIG = "config.json"

# Explicit upgrades of older files: MIGRATIONS[v] turns a format-v config (and weights) into
# format v + 1. Loading applies them in order; a file is never rewritten on disk.
MIGRATIONS: dict = {}


def migrate(config: dict, tensors: dict) -> tuple[dict, dict]:
    """Bring an older model's config and weights up to :data:`FORMAT_VERSION`."""
    while config["format_version"] < FORMAT_VERSION:
        step = MIGRATIONS.get(config["format_version"])
        if step is None:
            raise ModelFileError(
                f"model format {config['format_version']} is no longer readable by seriespredictor "
                f"{_library_version()}; load it with an older release and save it again"
            )
        config, tensors = step(config, tensors)
    return config, tensors


def _library_version() -> str:
    from . import __version__

    return __version__


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_model(path, kind: str, tensors: dict[str, torch.Tensor], config: dict, *, overwrite: bool = False) -> Path:
    """Write a model directory atomically.

    Args:
        path: the directory to create.
        kind: the estimator class name, checked on load.
        tensors: the weights.
        config: JSON-serialisable settings and statistics.
        overwrite: replace an existing model at ``path``.

    Returns:
        The path written.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{str(path)!r} already exists; pass overwrite=True (CLI: --overwrite) to replace it")
    if path.exists() and not (path / CONFIG).is_file():
        raise FileExistsError(f"{str(path)!r} exists and is not a seriespredictor model; refusing to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        weights = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
        save_file(weights, tmp / WEIGHTS, metadata={"format_version": str(FORMAT_VERSION)})
        meta = {
            "format_version": FORMAT_VERSION,
            "kind": kind,
            "library_version": _library_version(),
            "torch_version": torch.__version__,
            "weights_sha256": _sha256(tmp / WEIGHTS),
            **config,
        }
        (tmp / CONFIG).write_text(json.dumps(meta, indent=2, allow_nan=False))
        for f in (WEIGHTS, CONFIG):
            _fsync(tmp / f)
        _fsync(tmp)
        if path.exists():
            old = path.with_name(f".{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
        _fsync(path.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def load_model(path, kind: str) -> tuple[dict[str, torch.Tensor], dict]:
    """Read and check a model directory written by :func:`save_model`.

    Returns:
        ``(tensors, config)``, tensors on the CPU.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"no model at {str(path)!r}: the path does not exist")
    if not (path / CONFIG).is_file():
        raise ModelFileError(f"{str(path)!r} is not a seriespredictor model: it has no {CONFIG}")
    try:
        config = json.loads((path / CONFIG).read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{str(path / CONFIG)!r} is damaged (not valid JSON: {e}); save the model again") from None
    if not isinstance(config, dict) or not isinstance(config.get("format_version"), int):
        raise ModelFileError(f"{str(path / CONFIG)!r} has no integer 'format_version': not a seriespredictor model")
    version = config["format_version"]
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} was saved in model format {version} by seriespredictor "
            f"{config.get('library_version', '?')}; this is seriespredictor {_library_version()} "
            f"(format {FORMAT_VERSION}): upgrade seriespredictor to load it"
        )
    if config.get("kind") != kind:
        raise ModelFileError(f"{str(path)!r} holds a {config.get('kind')!r} model, not a {kind!r}; load it with that class")
    if config.get("library_version") != _library_version():
        warnings.warn(
            f"{str(path)!r} was saved by seriespredictor {config.get('library_version')}; "
            f"this is {_library_version()}",
            stacklevel=3,
        )
    weights = path / WEIGHTS
    if not weights.is_file():
        raise ModelFileError(f"{str(path)!r} is incomplete: {WEIGHTS} is missing; save the model again")
    if config.get("weights_sha256") != _sha256(weights):
        raise ModelFileError(f"{str(weights)!r} does not match its {CONFIG} (checksum differs): the file is damaged or was replaced")
    try:
        tensors = load_file(weights, device="cpu")
    except (SafetensorError, OSError) as e:
        raise ModelFileError(f"{str(weights)!r} is damaged ({e}); save the model again") from None
    config, tensors = migrate(config, tensors)
    return tensors, config


def load_state(module: torch.nn.Module, tensors: dict[str, torch.Tensor], path) -> None:
    """Load weights strictly, naming any parameter whose shape or presence differs."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ModelFileError(f"{str(path)!r}: weights do not fit the saved settings (missing {missing}, unexpected {extra})")
    for name, t in expected.items():
        if t.shape != tensors[name].shape:
            raise ModelFileError(
                f"{str(path)!r}: weight {name!r} has shape {tuple(tensors[name].shape)}, "
                f"the saved settings need {tuple(t.shape)}"
            )
    module.load_state_dict(tensors, strict=True)
