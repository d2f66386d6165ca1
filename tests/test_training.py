import gc

import pytest
import torch

from seriespredictor.errors import TrainingDivergedError
from seriespredictor.model import LSTMConfig, LSTMNetwork
from seriespredictor.training import cache_bytes, choose_micro_batch, choose_threads, fit_network, seeded


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

        res = fit_network(net, sample, loss, steps=steps, lr=0.01, schedule="cosine", generator=gen,
                          validate=lambda n: float(loss(n, (x, x.squeeze(-1)))), eval_every=5,
                          resume_from=resume_from, checkpoint=keep if saved is not None else None, checkpoint_every=every)
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
        runs.append((net, fit_network(net, lambda step: data, loss, steps=20, lr=0.01, micro_batches=parts)))
    assert sizes == [32] * 20 + [8] * 80  # four passes of 8 windows a step
    (whole, whole_res), (parts, parts_res) = runs
    for a, b in zip(whole.parameters(), parts.parameters()):  # the same steps, up to rounding
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert [s for s, _ in parts_res.losses] == [s for s, _ in whole_res.losses] == [0, 19]
    assert [v for _, v in parts_res.losses] == pytest.approx([v for _, v in whole_res.losses], rel=1e-4)


def test_micro_batch_policy():
    mib = 2**20
    assert choose_micro_batch(256, 96, 64, cache=32 * mib) == 64  # 99 MB of buffers in one pass: four of 25 MB
    assert choose_micro_batch(256, 96, 64, 2, cache=32 * mib) == 32  # two layers keep twice as much
    assert choose_micro_batch(256, 7, 128, cache=32 * mib) == 256  # M4 Hourly's 14 MB fit: one pass
    assert choose_micro_batch(100, 96, 256, cache=32 * mib) == 25  # halved only while it divides the batch
    assert choose_micro_batch(256, 5000, 512, cache=32 * mib) == 8  # never below 8 windows
    assert cache_bytes() >= 2**16


def test_cache_size_is_the_level_3_cache_or_32_mib(tmp_path):
    def cpu(*caches):
        root = tmp_path / str(len(list(tmp_path.iterdir())))
        for i, (level, size) in enumerate(caches):
            (root / f"index{i}").mkdir(parents=True)
            (root / f"index{i}" / "level").write_text(f"{level}\n")
            (root / f"index{i}" / "size").write_text(f"{size}\n")
        return str(root)

    assert cache_bytes(cpu((1, "48K"), (2, "1024K"), (3, "8192K"))) == 8 * 2**20
    assert cache_bytes(cpu((1, "48K"), (2, "2M"))) == 32 * 2**20  # no shared cache listed: not the per-core one
    assert cache_bytes(cpu((3, "garbled"))) == 32 * 2**20


@pytest.mark.filterwarnings("error")  # an unclosed file warns when collected: that fails the test
def test_the_cache_probe_closes_its_files(tmp_path):
    (tmp_path / "index0").mkdir()
    (tmp_path / "index0" / "level").write_text("3\n")
    (tmp_path / "index0" / "size").write_text("4096K\n")
    assert cache_bytes(str(tmp_path)) == 4 * 2**20
    gc.collect()


def test_native_bf16_reads_the_cpu_flags(tmp_path):
    from seriespredictor.training import native_bf16

    with_bf16, without = tmp_path / "a", tmp_path / "b"
    with_bf16.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f avx512_bf16\n")
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    cpu = torch.device("cpu")
    assert native_bf16(cpu, str(with_bf16)) and not native_bf16(cpu, str(without))
    assert not native_bf16(cpu, str(tmp_path / "missing"))
