"""The forecasting network: its config, its two heads' forecasts and its losses."""

import numpy as np
import pytest
import torch

from seriespredictor.network import ForecastConfig, ForecastNetwork, direct_block, ensemble_forecast, forecast, loss_function, validator
from seriespredictor.runtime import bf16_lstm_runs


def network(**kw) -> ForecastNetwork:
    torch.manual_seed(0)
    return ForecastNetwork(ForecastConfig(**{"h": 4, "hidden_dim": 8, **kw})).eval()


def test_the_config_round_trips_and_sizes_the_head():
    cfg = ForecastConfig(h=6, patch_size=12, seasonal_base=True, season=12, quantile_levels=(80, 95), hidden_dim=16)
    assert ForecastConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.quantiles == pytest.approx([0.5, 0.1, 0.9, 0.025, 0.975])
    net = ForecastNetwork(cfg)
    assert net.lstm.input_size == 12 and net.head.out_features == 6 * 5
    assert ForecastNetwork(ForecastConfig(h=6, head="recursive")).head.out_features == 1


def test_recursive_forecast_carries_the_state():
    # Oracle: one pass of the network over the window followed by its own forecasts.
    net = network(head="recursive")
    z = torch.randn(3, 10)
    with torch.no_grad():
        fc = forecast(net, net.config, z, 6)
        level = z.mean(1, keepdim=True)
        seq = torch.cat([z, fc[:, :-1]], 1) - level
        one_pass = net(seq.unsqueeze(-1))[0].squeeze(-1)[:, -6:] + level
    torch.testing.assert_close(fc, one_pass, atol=1e-5, rtol=1e-5)


def test_direct_forecasts_past_h_continue_from_their_own_blocks():
    net = network(h=4)
    z = torch.randn(2, 8)
    with torch.no_grad():
        first = forecast(net, net.config, z, 4)
        long = forecast(net, net.config, z, 10)
        second = direct_block(net, net.config, torch.cat([z, first], 1)[:, -8:])[:, 0]
    torch.testing.assert_close(long[:, :4], first)
    torch.testing.assert_close(long[:, 4:8], second)


def test_the_seasonal_base_is_the_last_season_repeated():
    net = network(h=5, patch_size=2, seasonal_base=True, season=2)
    for p in net.parameters():
        torch.nn.init.zeros_(p)  # the network adds nothing: the forecast is its base
    z = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    torch.testing.assert_close(forecast(net, net.config, z, 5), torch.tensor([[3.0, 4.0, 3.0, 4.0, 3.0]]))
    mean = network(h=5, patch_size=2, season=2)
    for p in mean.parameters():
        torch.nn.init.zeros_(p)
    torch.testing.assert_close(forecast(mean, mean.config, z, 5), torch.full((1, 5), 2.5))


def test_the_ensemble_forecast_is_the_mean_of_its_members():
    nets = [network(), network(hidden_dim=8, dropout=0.0)]
    torch.nn.init.ones_(nets[1].head.bias)
    z = torch.randn(2, 8)
    with torch.no_grad():
        expected = (forecast(nets[0], nets[0].config, z, 4) + forecast(nets[1], nets[1].config, z, 4)) / 2
    torch.testing.assert_close(ensemble_forecast(nets, z, 4), expected)


@pytest.mark.parametrize("loss, error", [("mse", np.square), ("mae", np.abs)])
def test_the_direct_loss_and_validation_score_the_same_error(loss, error):
    net = network(h=4)
    w = torch.randn(16, 12)  # inputs of 8, targets of 4
    train = loss_function(net.config, 8, loss, "fp32", torch.device("cpu"))(net, w).item()
    score = validator(net.config, loss, w[:, :8], w[:, 8:])(net)
    with torch.no_grad():
        expected = error((forecast(net, net.config, w[:, :8], 4) - w[:, 8:]).numpy()).mean()
    assert train == pytest.approx(expected, rel=1e-5) and score == pytest.approx(expected, rel=1e-5)


def test_the_quantile_loss_is_the_pinball_loss():
    net = network(h=2, quantile_levels=(80,))
    w = torch.randn(5, 6)
    got = loss_function(net.config, 4, "mse", "fp32", torch.device("cpu"))(net, w).item()
    with torch.no_grad():
        q = direct_block(net, net.config, w[:, :4]).numpy()  # [B, 3, 2]
    e = w[:, None, 4:].numpy() - q
    p = np.array([0.5, 0.1, 0.9])[None, :, None]
    assert got == pytest.approx(np.maximum(p * e, (p - 1) * e).mean(), rel=1e-5)


def test_bf16_runs_the_loss_under_autocast(monkeypatch):
    net = network(h=2)
    seen = []
    real_forward = ForecastNetwork.forward
    runs = bf16_lstm_runs(torch.device("cpu"))  # an AVX2-only CPU has no bf16 LSTM: the state is still observed, the LSTM run in fp32

    def forward(self, *args, **kwargs):
        seen.append(torch.is_autocast_enabled("cpu") and torch.get_autocast_dtype("cpu") == torch.bfloat16)
        if not runs:
            with torch.autocast("cpu", enabled=False):
                return real_forward(self, *args, **kwargs)
        return real_forward(self, *args, **kwargs)

    monkeypatch.setattr(ForecastNetwork, "forward", forward)
    loss = loss_function(net.config, 4, "mae", "bf16", torch.device("cpu"))(net, torch.randn(4, 6))
    assert seen == [True] and loss.dtype == torch.float32
    loss_function(net.config, 4, "mae", "fp32", torch.device("cpu"))(net, torch.randn(4, 6))
    assert seen == [True, False]


def test_the_drift_base_continues_the_last_value_along_the_inputs_slope():
    net = network(h=3, drift_base=True)
    for p in net.parameters():
        torch.nn.init.zeros_(p)  # the network adds nothing: the forecast is its base
    z = torch.tensor([[1.0, 3.0, 2.0, 7.0]])  # slope (7 - 1) / 3 = 2 per step
    torch.testing.assert_close(forecast(net, net.config, z, 5), torch.tensor([[9.0, 11.0, 13.0, 15.0, 17.0]]))
