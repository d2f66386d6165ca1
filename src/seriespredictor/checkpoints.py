"""Training checkpoints of one ``Forecaster.fit``, to resume an interrupted run exactly."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from . import distributed
from .errors import SeriesValidationError
from .persistence import load_model, save_model


class Checkpoints:
    """Training checkpoints of one ``fit``: ``<checkpoint_dir>/member-<k>``, one per ensemble member.

    Each is a model directory (safetensors + JSON, written atomically) tagged with a fingerprint
    of the settings and the data, so a resume never continues a different run.
    """

    # Settings that do not change what is trained (micro_batch_size: only its rounding).
    _NEUTRAL = ("progress", "threads", "micro_batch_size", "device", "checkpoint_dir", "checkpoint_every", "alias")

    def __init__(self, model, panel):
        params = {k: v for k, v in model.get_params().items() if k not in self._NEUTRAL}
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
        digest.update(np.ascontiguousarray(panel.values).tobytes())
        digest.update(np.ascontiguousarray(panel.lengths).tobytes())
        self.fingerprint = digest.hexdigest()
        self.root = Path(model.checkpoint_dir)

    def load(self, member: int) -> tuple[dict, dict] | None:
        path = self.root / f"member-{member}"
        if not path.exists():
            return None
        tensors, config = load_model(path, "Checkpoint")
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
