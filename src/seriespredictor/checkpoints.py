"""Training checkpoints of one ``Forecaster.fit``, to resume an interrupted run exactly."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from . import distributed
from .errors import ModelFileError, SeriesValidationError
from .fields import BOOL, DICT, LOSS_HISTORY, TEXT, check_fields, integer, list_of, number, optional
from .persistence import load_model, save_model
from .settings import DATA_OPTIONS


class Checkpoints:
    """Training checkpoints of one ``fit``: ``<checkpoint_dir>/member-<k>``, one per ensemble member.

    Each is a model directory (safetensors + JSON, written atomically) tagged with a fingerprint
    of the settings and the data, so a resume never continues a different run.
    """

    # Settings that do not change what is trained (micro_batch_size: only its rounding).
    _NEUTRAL = ("progress", "threads", "micro_batch_size", "device", "checkpoint_dir", "checkpoint_every", "alias")

    # What training reads back from a checkpoint's config (training._restore_loop_state).
    _FIELDS = {
        "fingerprint": TEXT, "member": integer(0), "loop": DICT, "loop.step": integer(0), "loop.done": BOOL,
        "loop.best": optional(number()), "loop.bad_evals": integer(0), "loop.param_groups": list_of(DICT),
        "loop.result": DICT, "loop.result.losses": LOSS_HISTORY, "loop.result.val_losses": LOSS_HISTORY,
        "loop.result.best_step": optional(integer(0)), "loop.result.steps_run": integer(0),
        "loop.result.seconds": number(0),
    }

    def __init__(self, model, panel):
        params = {k: v for k, v in model.get_params().items() if k not in self._NEUTRAL + DATA_OPTIONS}  # the data are hashed
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
        digest.update(np.ascontiguousarray(panel.values).tobytes())
        digest.update(np.ascontiguousarray(panel.lengths).tobytes())
        self.fingerprint = digest.hexdigest()
        self.seed = int(self.fingerprint[:8], 16)  # for a run without a seed: the same again when it resumes
        self.root = Path(model.checkpoint_dir)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder for this run: a second run writing the same checkpoints at the same
        time would mix two trainings. Only the writing process (rank 0) takes the lock."""
        if not distributed.is_main():
            yield
            return
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SeriesValidationError(
                    f"another run is writing checkpoints to {str(self.root)!r}; wait for it to end, or give this run "
                    "its own checkpoint_dir"
                ) from None
            yield
        finally:
            os.close(fd)  # closing releases the lock, also when the process dies

    def load(self, member: int) -> tuple[dict, dict] | None:
        path = self.root / f"member-{member}"
        if not path.exists():
            return None
        tensors, config = load_model(path, "Checkpoint")
        check_fields(config, self._FIELDS, path)
        _check_tensors(tensors, path)
        if config.get("fingerprint") != self.fingerprint:
            raise SeriesValidationError(
                f"the checkpoint {str(path)!r} was written by a run with other settings or data; "
                "resume with the same ones, or delete the checkpoint directory to start over"
            )
        return tensors, config["loop"]

    def saver(self, member: int):
        def save(tensors: dict, loop: dict) -> None:
            def write() -> None:
                if distributed.is_main():  # one writer; the others wait until the file is complete
                    save_model(self.root / f"member-{member}", "Checkpoint", tensors,
                               {"fingerprint": self.fingerprint, "member": member, "loop": loop}, overwrite=True)

            distributed.agree(write)  # a failed write (disk full) stops every rank, not rank 0 alone

        return save


def _check_tensors(tensors: dict, path) -> None:
    """RNG states are byte vectors, everything else finite numbers (shapes: checked on restore)."""
    for name, t in tensors.items():
        bad = (t.dtype != torch.uint8 or t.dim() != 1) if name.startswith("rng.") else \
            (t.is_floating_point() and not torch.isfinite(t).all())
        if bad:
            raise ModelFileError(f"{str(path)!r}: checkpoint entry {name!r} ({t.dtype} {tuple(t.shape)}) is damaged; "
                                 "delete the checkpoint directory to start over")
