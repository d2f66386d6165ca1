"""Run by torchrun in tests/test_distributed.py: the real CLI, plus test hooks.

- DDP_PARAMS_OUT=path: after fit, every rank gathers every rank's parameters and rank 0 writes
  whether they are identical.
- DDP_KILL_AT=step: on the first attempt only, rank 1 kills itself with SIGKILL at that step.
- DDP_FAIL_AT=step: rank 1 raises ZeroDivisionError (a bug) at that training step.
- DDP_FILE_AT=step:path: rank 0 writes a file at ``path`` at that training step (another program
  taking a path the run will write to, after the CLI checked it).
- DDP_COVARIATES=json: settings added to the model the CLI builds (``{"futr_exog": ["promo"]}``):
  the CLI has no covariate flags.
"""

import json
import os
import signal
import sys

import torch
import torch.distributed as dist

import seriespredictor.ensemble as ensemble_module
from seriespredictor import Forecaster
from seriespredictor.cli import main


def at_step(step: int, action) -> None:
    """Have this rank run ``action()`` when its training reaches ``step``."""
    real_fit_network = ensemble_module.fit_network

    def fit_network(net, sample, *args, **kwargs):
        def sample_or_act(s):
            if s == step:
                action()
            return sample(s)

        return real_fit_network(net, sample_or_act, *args, **kwargs)

    ensemble_module.fit_network = fit_network


def injected_bug():
    raise ZeroDivisionError("injected bug on rank 1")


if os.environ["RANK"] == "1":
    if os.environ.get("DDP_KILL_AT") and os.environ.get("TORCHELASTIC_RESTART_COUNT", "0") == "0":
        at_step(int(os.environ["DDP_KILL_AT"]), lambda: os.kill(os.getpid(), signal.SIGKILL))
    if os.environ.get("DDP_FAIL_AT"):
        at_step(int(os.environ["DDP_FAIL_AT"]), injected_bug)

if os.environ["RANK"] == "0" and os.environ.get("DDP_FILE_AT"):
    step, path = os.environ["DDP_FILE_AT"].split(":", 1)
    at_step(int(step), lambda: open(path, "w").close())

if os.environ.get("DDP_COVARIATES"):
    import seriespredictor.cli.commands as commands

    real_forecaster = commands._forecaster

    def with_covariates(*args, **kwargs):
        return real_forecaster(*args, **kwargs).set_params(**json.loads(os.environ["DDP_COVARIATES"]))

    commands._forecaster = with_covariates

params_out = os.environ.get("DDP_PARAMS_OUT")
if params_out:
    real_fit = Forecaster.fit

    def fit_and_remember(self, *args, **kwargs):
        fitted = real_fit(self, *args, **kwargs)
        flat = torch.cat([p.detach().flatten() for p in fitted.nets_[0].parameters()])
        gathered = [torch.empty_like(flat) for _ in range(dist.get_world_size())]
        dist.all_gather(gathered, flat)
        if dist.get_rank() == 0:
            with open(params_out, "w") as f:
                json.dump({"world": dist.get_world_size(), "identical": all(torch.equal(gathered[0], g) for g in gathered)}, f)
        return fitted

    Forecaster.fit = fit_and_remember

sys.exit(main(sys.argv[1:]))
