"""Model files: a directory holding ``weights.safetensors`` and ``config.json``.

The weights are tensors only (safetensors cannot run code); everything else - settings,
scaler statistics, versions - is JSON. Nothing is ever unpickled, and every field is checked
(type, range, agreement with the weights' shapes) before anything is built from it.

A model is saved as one directory that replaces the old one in a single step (see
:mod:`.atomic`), so the path always holds the old or the new model. Readers open the directory
once and read both files through that handle, so they never mix two versions, and retry if a
save deleted it under them. Temporaries of killed processes are never read as models.

Older formats are read through explicit migrations (``MIGRATIONS``); a file is never rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import time
import warnings
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from safetensors.torch import save as dump_safetensors

from .atomic import atomic_directory, exists_error, write_file
from .errors import ModelFileError, SeriesValidationError
from .fields import Field, check_fields, integer, number
from .migrations import FORMAT_VERSION, library_version, migrate
from .params import path_arg

WEIGHTS = "weights.safetensors"
CONFIG = "config.json"
MAX_CONFIG_BYTES = 256 * 2**20  # a config.json larger than this is not one we wrote
MAX_UNITS = 2**20  # per layer: far beyond a real model, small enough that no size overflows
MAX_TENSORS = 100_000  # in one weights file: 1000 ensemble members of 24 layers; each costs memory to load
MAX_HEADER_BYTES = 100 * 2**20  # safetensors' own limit on its JSON header
READ_ATTEMPTS = 10  # a reader retries this often when a concurrent save deletes what it opened


# -- writing -----------------------------------------------------------------------------------
def _config_sha256(meta: dict) -> str:
    body = {k: v for k, v in meta.items() if k != "config_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _write_weights(folder: Path, tensors: dict[str, torch.Tensor]) -> str:
    """Write the weights file; returns its SHA-256."""
    weights = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    data = dump_safetensors(weights, metadata={"format_version": str(FORMAT_VERSION)})
    write_file(folder / WEIGHTS, data)
    return hashlib.sha256(data).hexdigest()


def _write_config(folder: Path, meta: dict) -> None:
    meta = dict(meta, config_sha256=_config_sha256(meta))
    write_file(folder / CONFIG, json.dumps(meta, indent=2, allow_nan=False).encode())


def check_replaceable(path: Path, overwrite: bool) -> None:
    """Refuse to save over ``path`` unless it is free, or a model and ``overwrite`` is set."""
    if os.path.lexists(path) and not overwrite:
        raise exists_error(path)
    if os.path.lexists(path) and path.is_symlink():  # replacing it would replace the link, not the model it points to
        raise FileExistsError(f"{str(path)!r} is a symbolic link; refusing to replace it: save to the folder it points to "
                              f"({os.path.realpath(path)!r}) or to another folder")
    if os.path.lexists(path) and not (path / CONFIG).is_file():
        raise FileExistsError(f"{str(path)!r} exists and is not a seriespredictor model; refusing to replace it, choose another folder")


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

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is False, or it is not a model.
        OSError: the folder cannot be written (read-only, full, ...); the old model is intact.
    """
    path = path_arg("path", path)
    check_replaceable(path, overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # a file where a folder should be, a read-only place...
        raise OSError(e.errno, f"cannot save the model to {str(path)!r}: cannot create the folder {str(path.parent)!r} "
                               f"({e.strerror})", e.filename) from None
    try:
        with atomic_directory(path, overwrite=overwrite) as tmp:
            meta = {
                "format_version": FORMAT_VERSION,
                "kind": kind,
                "library_version": library_version(),
                "torch_version": torch.__version__,
                "weights_sha256": _write_weights(tmp, tensors),
                **config,
            }
            _write_config(tmp, meta)
    except OSError as e:
        if isinstance(e, FileExistsError) or e.errno is None:
            raise
        raise OSError(e.errno, f"cannot save the model to {str(path)!r}: {e.strerror}", e.filename) from None
    return path


# -- reading -----------------------------------------------------------------------------------
def _read_config(fd: int, name) -> bytes:
    size = os.fstat(fd).st_size
    if size > MAX_CONFIG_BYTES:
        raise ModelFileError(f"{str(name)!r} is {size} bytes, larger than any {CONFIG} seriespredictor writes")
    return os.read(fd, size + 1)


def _parse_config(raw: bytes, name) -> dict:
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        reason = "nested too deeply" if isinstance(e, RecursionError) else str(e)[:120]
        raise ModelFileError(f"{str(name)!r} is damaged (not valid JSON: {reason}); save the model again") from None
    if not isinstance(config, dict) or type(config.get("format_version")) is not int:
        raise ModelFileError(f"{str(name)!r} has no integer 'format_version': not a seriespredictor model")
    return config


def _check_header(config: dict, kind: str, path: Path) -> None:
    version = config["format_version"]
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} was saved in model format {version} by seriespredictor "
            f"{config.get('library_version', '?')}; this is seriespredictor {library_version()} "
            f"(format {FORMAT_VERSION}): upgrade seriespredictor to load it"
        )
    if version < 1:
        raise ModelFileError(f"{str(path)!r}: format_version {version} is not a seriespredictor model format")
    if config.get("kind") != kind:
        raise ModelFileError(f"{str(path)!r} holds a {config.get('kind')!r} model, not a {kind!r}; load it with that class")
    if version >= 2 and config.get("config_sha256") != _config_sha256(config):
        raise ModelFileError(f"{str(path / CONFIG)!r} does not match its checksum: the file is damaged or was edited; save the model again")
    if config.get("library_version") != library_version():
        warnings.warn(
            f"{str(path)!r} was saved by seriespredictor {config.get('library_version')}; "
            f"this is {library_version()}",
            stacklevel=5,  # the caller of Forecaster.load / SeriesPredictor.load
        )


def _sha256_fd(fd: int) -> str:
    digest = hashlib.sha256()
    while chunk := os.read(fd, 1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _read_weights(dir_fd: int, config: dict, path: Path) -> dict[str, torch.Tensor]:
    """Hash the weights in chunks, then load them, both through one open file."""
    weights = path / WEIGHTS
    fd = _open_file(dir_fd, path, WEIGHTS, f"{str(path)!r} is incomplete: {WEIGHTS} is missing; save the model again")
    try:
        if config.get("weights_sha256") != _sha256_fd(fd):
            raise ModelFileError(f"{str(weights)!r} does not match its {CONFIG} (checksum differs): the file is damaged or was replaced")
        (size,) = struct.unpack("<Q", os.pread(fd, 8, 0).ljust(8, b"\0"))
        tensors = os.pread(fd, min(size, MAX_HEADER_BYTES), 8).count(b'"data_offsets"')  # counted before any is built
        if tensors > MAX_TENSORS:
            raise ModelFileError(f"{str(weights)!r} lists {tensors} tensors, more than any model seriespredictor writes "
                                 f"({MAX_TENSORS}): not a seriespredictor model file")
        # Linux names the open file; elsewhere the path is read again (a racing save may then win).
        proc = f"/proc/self/fd/{fd}"
        try:
            return load_file(proc if os.path.exists(proc) else weights, device="cpu")
        except (SafetensorError, ValueError, RuntimeError) as e:
            raise ModelFileError(f"{str(weights)!r} is damaged ({str(e)[:120]}); save the model again") from None
    finally:
        os.close(fd)


def _replaced(dir_fd: int, path: Path) -> bool:
    """Whether the directory opened as ``dir_fd`` is no longer the one at ``path`` (a save
    swapped it out and is deleting it): then a missing file means "read again"."""
    try:
        now = os.stat(path)
    except FileNotFoundError:
        return True
    held = os.fstat(dir_fd)
    return (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino)


def _open_file(dir_fd: int, path: Path, name: str, missing: str) -> int:
    """Open the regular file ``name`` of the directory held as ``dir_fd``.

    Raises:
        FileNotFoundError: a save swapped the directory out meanwhile (read again).
        ModelFileError: ``missing`` where the file is absent; where it is not a regular file.
    """
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK, dir_fd=dir_fd)  # a FIFO must not block
    except FileNotFoundError:
        if _replaced(dir_fd, path):
            raise
        raise ModelFileError(missing) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ModelFileError(f"{str(path / name)!r} is not a file: not a seriespredictor model file; save the model again")
    return fd


def _read_once(path: Path, kind: str) -> tuple[dict[str, torch.Tensor], dict]:
    """Read both files through one handle on the directory, so they are of one version."""
    dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = _open_file(dir_fd, path, CONFIG, f"{str(path)!r} is not a seriespredictor model: it has no {CONFIG}")
        try:
            config = _parse_config(_read_config(fd, path / CONFIG), path / CONFIG)
        finally:
            os.close(fd)
        _check_header(config, kind, path)
        tensors = _read_weights(dir_fd, config, path)
    finally:
        os.close(dir_fd)
    return tensors, config


def load_model(path, kind: str) -> tuple[dict[str, torch.Tensor], dict]:
    """Read and check a model directory written by :func:`save_model`.

    Returns:
        ``(tensors, config)``, tensors on the CPU, the config migrated to the current format.
    """
    path = path_arg("path", path)
    for attempt in range(READ_ATTEMPTS):
        if not path.exists():
            raise ModelFileError(f"no model at {str(path)!r}: the path does not exist")
        if not path.is_dir():
            raise ModelFileError(f"{str(path)!r} is not a seriespredictor model: it is a file, not a model directory")
        try:
            tensors, config = _read_once(path, kind)
            break
        except (FileNotFoundError, NotADirectoryError):
            time.sleep(0.01 * (attempt + 1))  # a concurrent save deleted the version we opened
        except IsADirectoryError:
            raise ModelFileError(f"{str(path)!r} is damaged: a directory stands where a file should be") from None
    else:
        raise ModelFileError(f"{str(path)!r} kept changing while being read (another process saving in a loop?); try again")
    config, tensors = migrate(config, tensors)
    return tensors, config


def load_network(network: dict, tensors: dict[str, torch.Tensor], path, rules: dict[str, Field] | None = None):
    """Build an ``LSTMNetwork`` from its saved config and weights, allocating nothing new.

    The config is checked first, the network is then built on the ``meta`` device (no memory)
    and the weights, checked for names, shapes, dtype and finiteness, are assigned to it.
    """
    from .model import LSTMConfig, LSTMNetwork

    check_fields({"network": network}, {
        "network.input_dim": integer(1, MAX_UNITS), "network.hidden_dim": integer(1, MAX_UNITS),
        "network.output_dim": integer(1, MAX_UNITS),
        "network.num_layers": integer(1, 1000), "network.dropout": number(0, 0.999), **(rules or {}),
    }, path)
    with torch.device("meta"):
        net = LSTMNetwork(LSTMConfig(**network))
    load_state(net, tensors, path)
    return net.eval()


def load_state(module: torch.nn.Module, tensors: dict[str, torch.Tensor], path) -> None:
    """Load weights strictly, naming any parameter whose shape, dtype or presence differs or
    whose values are not finite. A module built on the ``meta`` device takes the tensors as they are."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ModelFileError(f"{str(path)!r}: weights do not fit the saved settings (missing {missing}, unexpected {extra})")
    for name, t in expected.items():
        got = tensors[name]
        if t.shape != got.shape or t.dtype != got.dtype:
            raise ModelFileError(
                f"{str(path)!r}: weight {name!r} is {got.dtype} {tuple(got.shape)}, "
                f"the saved settings need {t.dtype} {tuple(t.shape)}"
            )
        if not torch.isfinite(got).all():
            raise ModelFileError(f"{str(path)!r}: weight {name!r} holds NaN or infinite values; the file is damaged")
    meta = any(t.is_meta for t in expected.values())
    module.load_state_dict(tensors, strict=True, assign=meta)


def load_estimator(cls, params: dict, path, check=None):
    """``cls(**params)`` with the estimator's own settings check (``check``, default
    ``cls._check_settings``), as a :class:`ModelFileError`."""
    try:
        estimator = cls(**params)
        (check or cls._check_settings)(estimator)
    except (TypeError, SeriesValidationError) as e:
        where = f"field 'params.{e.argument}'" if getattr(e, "argument", None) else "settings this version cannot use"
        raise ModelFileError(f"{str(path)!r}: {CONFIG} has {where} ({e}); save the model again") from None
    return estimator


def check_tensor(tensors: dict, name: str, shape: tuple, path, *, positive: bool = False, finite: bool = True) -> torch.Tensor:
    """Take the float64 tensor ``name``, checking its shape and that its values are finite (or, with
    ``finite=False``, numbers or NaN: not infinite)."""
    t = tensors.pop(name, None)
    if t is None or t.dtype != torch.float64 or tuple(t.shape) != shape:
        got = "missing" if t is None else f"{t.dtype} {tuple(t.shape)}"
        raise ModelFileError(f"{str(path)!r}: {WEIGHTS} entry {name!r} is {got}, the saved settings need float64 {shape}")
    if not finite and not torch.isinf(t).any():
        return t
    if not torch.isfinite(t).all() or (positive and not (t > 0).all()):
        raise ModelFileError(f"{str(path)!r}: {WEIGHTS} entry {name!r} holds {'non-positive, ' if positive else ''}NaN or infinite values; the file is damaged")
    return t
