import pytest

from colorgan_utils.config import Config, PRESETS, get_config, parse_bool


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", " 1 "])
def test_parse_bool_true(value):
    assert parse_bool(value) is True


@pytest.mark.parametrize("value", [None, "", "0", "false", "False", "no", "off"])
def test_parse_bool_false(value):
    assert parse_bool(value) is False


def test_parse_bool_rejects_junk():
    with pytest.raises(ValueError, match="COLORGAN_SMOKE='maybe'"):
        parse_bool("maybe", "COLORGAN_SMOKE")


def test_presets_sizes():
    assert PRESETS["smoke"].image_size == 32
    assert PRESETS["cpu"].image_size == 128
    assert PRESETS["colab"].image_size >= 128


def test_smoke_env_wins_and_zero_means_off():
    assert get_config(environ={"COLORGAN_SMOKE": "1"}).preset == "smoke"
    assert get_config("colab", environ={"COLORGAN_SMOKE": "true"}).preset == "smoke"
    assert get_config(environ={"COLORGAN_SMOKE": "0"}).preset == "cpu"
    assert get_config("colab", environ={"COLORGAN_SMOKE": "false"}).preset == "colab"
    assert get_config(environ={}).preset == "cpu"


def test_data_dir_and_overrides():
    cfg = get_config("cpu", environ={"COLORGAN_DATA_DIR": "/data/dogs"}, batch_size=4,
                     epochs=None)
    assert cfg.data_dir == "/data/dogs"
    assert cfg.batch_size == 4
    assert cfg.epochs == PRESETS["cpu"].epochs  # None means "keep the preset's"
    assert cfg.load_size == 128 + 128 // 8


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="unknown preset 'gpu'"):
        get_config("gpu", environ={})
    with pytest.raises(ValueError, match="image_size=48"):
        get_config("cpu", environ={}, image_size=48)
    with pytest.raises(TypeError):
        get_config("cpu", environ={}, no_such_setting=1)


def test_json_round_trip():
    import json

    d = json.loads(get_config("cpu", environ={}).to_json())
    assert d["image_size"] == 128 and d["preset"] == "cpu"


def _rule_choice(rows: dict) -> str:
    """The ablations' rule, fixed before their runs: among the rows with CIEDE2000 <= gray -
    1.5, PSNR >= gray + 0.5 dB and no photo over the veto, the smallest dCF; else the lowest
    CIEDE2000."""
    ok = [k for k, r in rows.items()
          if r["ciede2000"] <= r["gray_ciede2000"] - 1.5 and r["psnr"] >= r["gray_psnr"] + 0.5
          and r["photos_over_veto"] == 0]
    return (min(ok, key=lambda k: rows[k]["dcf"]) if ok
            else min(rows, key=lambda k: rows[k]["ciede2000"]))


def test_presets_train_the_variant_the_encoder_ablation_chose():
    """The default generator is the one the stated rule picked in the encoder ablation
    (research/results/encoder_ablation.json): the rule re-applied to the published rows picks
    it, and the presets train its settings."""
    import json
    from pathlib import Path

    result = json.loads((Path(__file__).resolve().parents[1] / "research" / "results"
                         / "encoder_ablation.json").read_text())
    rows = result["rows"]
    chosen = _rule_choice(rows)
    assert result["chosen"] == chosen
    settings = rows[chosen]["settings"]
    for name in ("cpu", "colab"):
        cfg = PRESETS[name]
        for key in ("encoder", "encoder_alpha", "encoder_lr_mult", "l1_lambda",
                    "lr_schedule"):
            assert getattr(cfg, key) == settings.get(key, getattr(Config(), key)), (name, key)
        # epochs of the preset are whole passes (longer than the ablation's): frozen for a
        # while or throughout, as the variant was; an L1-only warm-up when it had one
        assert (cfg.encoder_frozen_epochs < 0) == (settings["encoder_frozen_epochs"] < 0), name
        assert (cfg.warmup_epochs > 0) == (settings["warmup_epochs"] > 0), name
        # the GAN term always weighs 1 now: a variant that trained without it cannot be chosen
        assert settings.get("adversarial_lambda", 1.0) == 1.0, name
        assert cfg.ema_momentum > 0


def test_presets_train_the_gan_the_gan_ablation_chose():
    """The GAN of every preset is the one the stated rule picked among the GAN variants on the
    validation photos (research/results/gan_ablation.json), with the discriminator chosen by
    research/results/discriminator_choice.json; the kept epoch is the last."""
    import json
    from pathlib import Path

    results = Path(__file__).resolve().parents[1] / "research" / "results"
    result = json.loads((results / "gan_ablation.json").read_text())
    choice = json.loads((results / "discriminator_choice.json").read_text())
    rows = {k: r for k, r in result["rows_val"].items() if k != "a_l1_only"}  # the control
    chosen = _rule_choice(rows)
    assert result["chosen"] == chosen
    settings = {**result["common"], **rows[chosen]["settings"]}
    assert settings["discriminator_norm"] == choice["norm"]
    for name, cfg in PRESETS.items():
        if name == "short":  # the teaching run: variant g, below
            continue
        for key in ("discriminator_norm", "mismatch_weight", "gan_loss", "l1_lambda_end", "keep"):
            assert getattr(cfg, key) == settings.get(key, getattr(Config(), key)), (name, key)
    # notebook 04's short run is the ablation's variant g, continued from the shipped L1-only
    # generator (the ablation's pretraining) for the ablation's number of epochs
    g = {**result["common"], **result["rows_val"]["g_anneal_hinge"]["settings"]}
    short = PRESETS["short"]
    for key, value in g.items():
        assert getattr(short, key) == value, key
    assert short.epochs == result["epochs_per_variant"] and short.init_generator == "shipped:l1"


def test_the_optimizers_a_run_trains_with():
    """Known answers for the training set-up: Adam at the configured rate and beta_1 for both
    networks, the average kept for the generator only, the encoder at its multiple of the rate,
    and a cosine schedule that starts at the rate and ends at 0 after the run's steps."""
    import keras
    import pytest

    from colorgan_utils.training import learning_rate, optimizers

    cfg = get_config("cpu", environ={}).replace(learning_rate=4e-4, beta_1=0.3, ema_momentum=0.9,
                                                 lr_schedule="constant", encoder_lr_mult=0.25)
    opts = optimizers(cfg, total_steps=100)
    g, d, e = opts["g_optimizer"], opts["d_optimizer"], opts["e_optimizer"]
    assert all(isinstance(o, keras.optimizers.Adam) for o in (g, d, e))
    assert float(g.learning_rate) == pytest.approx(4e-4) == float(d.learning_rate)
    assert float(e.learning_rate) == pytest.approx(1e-4)  # 0.25 x the rate
    assert g.beta_1 == d.beta_1 == e.beta_1 == 0.3
    assert g.use_ema and e.use_ema and not d.use_ema  # the discriminator is not averaged
    assert g.ema_momentum == e.ema_momentum == 0.9
    assert optimizers(cfg.replace(encoder="scratch"), 100)["e_optimizer"] is None
    assert not optimizers(cfg.replace(ema_momentum=0.0), 100)["g_optimizer"].use_ema
    cosine = learning_rate(cfg.replace(lr_schedule="cosine"), total_steps=100)
    assert float(cosine(0)) == pytest.approx(4e-4)
    assert float(cosine(50)) == pytest.approx(2e-4, rel=1e-4)  # half way: half the rate
    assert float(cosine(100)) == pytest.approx(0.0, abs=1e-9)
