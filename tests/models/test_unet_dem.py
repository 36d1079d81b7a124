import json

import pytest
import torch
from diffusers import UNet2DConditionModel

from mesa.models.unet_dem import SD21_768V_CONFIG, UNetDEMConditionModel

TINY = dict(
    sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(8, 16),
    norm_num_groups=4, attention_head_dim=2, cross_attention_dim=16,
    down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
)


def test_full_size_state_dict_matches_published_keys_and_shapes(reference_dir):
    expected = json.loads((reference_dir / "full_size_state_dict_shapes.json").read_text())
    with torch.device("meta"):
        model = UNetDEMConditionModel(**SD21_768V_CONFIG)
    ours = {key: list(value.shape) for key, value in model.state_dict().items()}
    assert ours == expected


def test_loads_published_layout_with_no_missing_or_unexpected_keys(reference_dir):
    from safetensors.torch import load_file

    folder = reference_dir / "pipeline" / "unet"
    model = UNetDEMConditionModel.from_pretrained(folder)
    stored = load_file(folder / "diffusion_pytorch_model.safetensors")
    assert set(model.state_dict()) == set(stored)
    for key, value in stored.items():
        assert torch.equal(model.state_dict()[key], value), key


def test_output_is_image_then_elevation_prediction_with_input_shape():
    torch.manual_seed(0)
    model = UNetDEMConditionModel(**TINY).eval()
    sample = torch.randn(2, 8, 16, 16)
    out = model(sample, 10, torch.randn(2, 77, 16)).sample
    assert out.shape == sample.shape
    with pytest.raises(ValueError, match="8 latent channels"):
        model(torch.randn(1, 4, 16, 16), 10, torch.randn(1, 77, 16))


def test_heads_are_modality_specific():
    """Changing the elevation head's output conv changes only the elevation prediction."""
    torch.manual_seed(0)
    model = UNetDEMConditionModel(**TINY).eval()
    args = (torch.randn(1, 8, 16, 16), 10, torch.randn(1, 77, 16))
    before = model(*args).sample
    with torch.no_grad():
        model.conv_out_dem.bias += 1.0
    after = model(*args).sample
    torch.testing.assert_close(after[:, :4], before[:, :4])
    torch.testing.assert_close(after[:, 4:], before[:, 4:] + 1.0)


def test_from_sd_unet_reproduces_sd_when_both_halves_are_equal():
    """With the same latent in both halves, every head sees what the SD UNet saw, so each half of
    the output equals the SD UNet's prediction: the copy is exact and the wiring is SD's."""
    torch.manual_seed(0)
    sd = UNet2DConditionModel(**TINY).eval()
    mesa = UNetDEMConditionModel.from_sd_unet(sd).eval()
    latent, context = torch.randn(1, 4, 16, 16), torch.randn(1, 77, 16)
    expected = sd(latent, 10, context).sample
    out = mesa(torch.cat([latent, latent], dim=1), 10, context).sample
    torch.testing.assert_close(out[:, :4], expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[:, 4:], expected, atol=1e-5, rtol=1e-5)


def test_odd_latent_sizes_are_upsampled_to_match_skips():
    model = UNetDEMConditionModel(**TINY).eval()
    out = model(torch.randn(1, 8, 10, 14), 3, torch.randn(1, 77, 16)).sample
    assert out.shape == (1, 8, 10, 14)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_gradient_checkpointing_and_dtypes(dtype):
    torch.manual_seed(0)
    model = UNetDEMConditionModel(**TINY).to(dtype)
    model.enable_gradient_checkpointing()
    model.train()
    out = model(torch.randn(1, 8, 16, 16, dtype=dtype), 10, torch.randn(1, 77, 16, dtype=dtype)).sample
    out.float().square().mean().backward()
    assert out.dtype == dtype
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_save_and_reload_round_trip(tmp_path):
    torch.manual_seed(0)
    model = UNetDEMConditionModel(**TINY).eval()
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["_class_name"] == "UNetDEMConditionModel"
    reloaded = UNetDEMConditionModel.from_pretrained(tmp_path).eval()
    args = (torch.randn(1, 8, 16, 16), 10, torch.randn(1, 77, 16))
    torch.testing.assert_close(reloaded(*args).sample, model(*args).sample)
