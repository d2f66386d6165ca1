import math

import pytest
import torch

from seriespredictor.errors import TrainingDivergedError
from seriespredictor.model import LSTMConfig, LSTMNetwork
from seriespredictor.runtime import seeded
from seriespredictor.training import TrainConfig, fit_network


def _setup(seed=0):
    with seeded(seed):
        net = LSTMNetwork(LSTMConfig(1, 4))
    x = torch.linspace(0, 1, 24).reshape(2, 12, 1)
    return net, (lambda step: (x, x.squeeze(-1))), (lambda n, b: ((n(b[0])[0].squeeze(-1) - b[1]) ** 2).mean())


def test_network_shapes_and_carried_state():
    net = LSTMNetwork(LSTMConfig(3, 8, output_dim=2))
    x = torch.randn(5, 7, 3)
    out, (h, c) = net(x)
    assert out.shape == (5, 7, 2) and h.shape == (1, 5, 8)
    last, _ = net(x, last_only=True)
    assert torch.allclose(last, out[:, -1])
    # Running the second half from the first half's state equals running the whole window.
    first, state = net(x[:, :4])
    second, _ = net(x[:, 4:], state)
    assert torch.allclose(torch.cat([first, second], 1), out, atol=1e-6)


def test_validation_restores_the_best_weights_and_stops_early():
    net, sample, loss = _setup()
    seen = []  # the weights at each validation

    def validate(n):
        seen.append({k: v.clone() for k, v in n.state_dict().items()})
        return [3.0, 1.0, 2.0, 4.0, 5.0][len(seen) - 1]

    res = fit_network(net, sample, loss, TrainConfig(steps=100, lr=0.01, eval_every=10, patience=3), validate=validate)
    assert res.best_step == 20 and res.val_losses == [(10, 3.0), (20, 1.0), (30, 2.0), (40, 4.0), (50, 5.0)]
    assert res.steps_run == 50  # three evaluations without improvement after step 20
    for name, value in net.state_dict().items():  # the weights of step 20, not those of step 50
        assert torch.equal(value, seen[1][name]), name
    assert not all(torch.equal(value, seen[-1][name]) for name, value in net.state_dict().items())


def test_nonfinite_loss_names_the_step():
    net, sample, _ = _setup()

    def loss(n, b):
        out = n(b[0])[0].mean()
        return out * float("nan") if b[2] >= 3 else out

    with pytest.raises(TrainingDivergedError, match="training loss became nan at step 3"):
        fit_network(net, lambda step: (*sample(step), step), loss, TrainConfig(steps=10, lr=0.01))


def _run(steps, resume_from=None, every=0, saved=None, stop_at=None):
    with seeded(3) as gen:
        net = LSTMNetwork(LSTMConfig(1, 4, dropout=0.0))
        x = torch.randn(64, 12, 1, generator=gen)

        def sample(step):
            if stop_at is not None and step == stop_at:
                raise KeyboardInterrupt  # the process dies here
            idx = torch.randint(64, (8,), generator=gen)
            return x[idx], x[idx].squeeze(-1)

        def loss(n, b):
            return ((n(b[0])[0].squeeze(-1) - b[1]) ** 2).mean()

        def keep(tensors, meta):
            saved.append(({k: v.clone() for k, v in tensors.items()}, meta))

        config = TrainConfig(steps=steps, lr=0.01, schedule="cosine", eval_every=5, checkpoint_every=every)
        res = fit_network(net, sample, loss, config, validate=lambda n: float(loss(n, (x, x.squeeze(-1)))), generator=gen,
                          resume_from=resume_from, checkpoint=keep if saved is not None else None)
    return net, res


def test_a_resumed_run_ends_exactly_like_an_uninterrupted_one():
    full, full_res = _run(40)
    saved = []
    with pytest.raises(KeyboardInterrupt):
        _run(40, every=10, saved=saved, stop_at=27)
    assert [m["step"] for _, m in saved] == [10, 20]
    resumed, res = _run(40, resume_from=saved[-1], saved=saved)
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values()):
        assert torch.equal(a, b)
    assert res.steps_run == full_res.steps_run == 40
    assert res.val_losses == full_res.val_losses and res.best_step == full_res.best_step
    assert saved[-1][1]["done"] is True


def test_resuming_a_finished_run_trains_no_further():
    saved = []
    net, _ = _run(20, every=10, saved=saved)
    again, res = _run(20, resume_from=saved[-1])
    for a, b in zip(net.state_dict().values(), again.state_dict().values()):
        assert torch.equal(a, b)
    assert res.steps_run == 20


def test_clipping_matches_torch():
    from seriespredictor.training import _clip_grad_norm

    a, b = LSTMNetwork(LSTMConfig(2, 8)), LSTMNetwork(LSTMConfig(2, 8))
    b.load_state_dict(a.state_dict())
    for pa, pb in zip(a.parameters(), b.parameters()):
        pa.grad = torch.randn_like(pa) * 10
        pb.grad = pa.grad.clone()
    for max_norm in (1.0, 1e6):  # clipped, and left alone
        _clip_grad_norm(list(a.parameters()), max_norm)
        torch.nn.utils.clip_grad_norm_(b.parameters(), max_norm)
        for pa, pb in zip(a.parameters(), b.parameters()):
            torch.testing.assert_close(pa.grad, pb.grad)


def test_micro_batches_take_the_same_step():
    data = torch.randn(32, 13, generator=torch.Generator().manual_seed(0))
    sizes = []

    def loss(n, b):
        sizes.append(len(b))
        return ((n(b[:, :12, None], last_only=True)[0][:, 0] - b[:, 12]) ** 2).mean()

    runs = []
    for parts in (1, 4):
        with seeded(0):
            net = LSTMNetwork(LSTMConfig(1, 8))
        runs.append((net, fit_network(net, lambda step: data, loss, TrainConfig(steps=20, lr=0.01, micro_batches=parts))))
    assert sizes == [32] * 20 + [8] * 80  # four passes of 8 windows a step
    (whole, whole_res), (parts, parts_res) = runs
    for a, b in zip(whole.parameters(), parts.parameters()):  # the same steps, up to rounding
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert [s for s, _ in parts_res.losses] == [s for s, _ in whole_res.losses] == [0, 19]
    assert [v for _, v in parts_res.losses] == pytest.approx([v for _, v in whole_res.losses], rel=1e-4)


def test_cosine_schedule_decays_to_a_tenth_over_schedule_steps():
    config = TrainConfig(steps=50, lr=0.02, schedule="cosine", schedule_steps=100)
    assert [config.lr_at(t) for t in (0, 50, 100)] == pytest.approx([0.02, 0.011, 0.002])
    assert TrainConfig(steps=50, lr=0.02).lr_at(49) == 0.02
    with pytest.raises(ValueError, match="schedule='linear' is not 'constant' or 'cosine'"):
        TrainConfig(steps=50, lr=0.02, schedule="linear")


def test_the_loop_steps_at_the_scheduled_learning_rates():
    net, sample, loss = _setup()
    config = TrainConfig(steps=4, lr=0.02, schedule="cosine", schedule_steps=8)
    used = []
    opt_step = torch.optim.Adam.step

    def record(self, *args, **kwargs):
        used.append(self.param_groups[0]["lr"])
        return opt_step(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(torch.optim.Adam, "step", record)
        fit_network(net, sample, loss, config)
    assert used == pytest.approx([0.02 * (0.55 + 0.45 * math.cos(math.pi * t / 8)) for t in range(4)])
