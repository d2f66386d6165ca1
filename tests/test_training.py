import pytest
import torch

from seriespredictor.errors import TrainingDivergedError
from seriespredictor.model import LSTMConfig, LSTMNetwork
from seriespredictor.training import choose_threads, fit_network, seeded


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
    calls = []

    def validate(n):
        calls.append(1)
        return [3.0, 1.0, 2.0, 4.0, 5.0][len(calls) - 1]

    res = fit_network(net, sample, loss, steps=100, lr=0.01, validate=validate, eval_every=10, patience=3)
    assert res.best_step == 20
    assert res.steps_run == 50  # three evaluations without improvement after step 20


def test_nonfinite_loss_names_the_step():
    net, sample, _ = _setup()

    def loss(n, b):
        out = n(b[0])[0].mean()
        return out * float("nan") if b[2] >= 3 else out

    with pytest.raises(TrainingDivergedError, match="training loss became nan at step 3"):
        fit_network(net, lambda step: (*sample(step), step), loss, steps=10, lr=0.01)


def test_thread_policy():
    assert choose_threads(3, 10) == 1
    assert choose_threads(256, 64) >= 1
    assert choose_threads(3, 10, requested=2) == 2
    with pytest.raises(ValueError, match="threads=0 must be a positive integer"):
        choose_threads(3, 10, requested=0)
