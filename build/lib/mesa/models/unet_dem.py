"""`UNetDEMConditionModel`: the MESA UNet, a Stable Diffusion UNet with one input and one output
head per modality (colour image, elevation) around a shared backbone.

Built from diffusers' own blocks: we construct a standard `UNet2DConditionModel` from the same
config and re-arrange its first and last stages into per-modality heads. Latents are 8 channels:
0-3 the image latent, 4-7 the elevation latent; the config's in/out channels are 4 per modality.

Data flow (f = hidden states, s = skip connections):

    image latent  -> conv_in_img -> head_img --\\                         /-- head_out_img -> norm/act -> conv_out_img
                                             mean -> down_blocks -> mid -> up_blocks
    dem latent    -> conv_in_dem -> head_dem --/                         \\-- head_out_dem -> norm/act -> conv_out_dem

Each head's conv_in output and its two block outputs are the skips of the matching output head;
the mean of the heads' downsampled outputs is both the backbone's input and its first skip.
"""

from __future__ import annotations

import copy
import inspect

import torch
from diffusers import UNet2DConditionModel
from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

MODALITIES = ("img", "dem")

# The published model's UNet config (Stable Diffusion 2.1 768-v, 4 latent channels per modality).
SD21_768V_CONFIG = {
    "sample_size": 96, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
    "block_out_channels": [320, 640, 1280, 1280], "attention_head_dim": [5, 10, 20, 20],
    "cross_attention_dim": 1024, "use_linear_projection": True, "upcast_attention": True,
    "down_block_types": ["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
    "up_block_types": ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3,
}

# Standard SD UNet module -> the MESA modules that start as copies of it.
_DUPLICATED = {
    "conv_in": ("conv_in_img", "conv_in_dem"),
    "conv_norm_out": ("conv_norm_out_img", "conv_norm_out_dem"),
    "conv_out": ("conv_out_img", "conv_out_dem"),
}


class UNetDEMConditionModel(UNet2DConditionModel):
    """MESA's dual-head UNet. Accepts every `UNet2DConditionModel` config argument.

    Forward takes `sample` (B, 2 * in_channels, h, w), `timestep` and `encoder_hidden_states`
    (B, 77, cross_attention_dim) and returns (B, 2 * out_channels, h, w): the image prediction
    followed by the elevation prediction.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.config.num_class_embeds or self.config.addition_embed_type or self.config.class_embed_type:
            raise ValueError("UNetDEMConditionModel supports text conditioning only (no class or added embeddings)")
        for standard, per_modality in _DUPLICATED.items():
            module = getattr(self, standard)
            delattr(self, standard)
            for name in per_modality:
                setattr(self, name, copy.deepcopy(module))
        first_down, *shared_down = self.down_blocks
        *shared_up, last_up = self.up_blocks
        self.head_img, self.head_dem = first_down, copy.deepcopy(first_down)
        self.head_out_img, self.head_out_dem = last_up, copy.deepcopy(last_up)
        self.down_blocks = torch.nn.ModuleList(shared_down)
        self.up_blocks = torch.nn.ModuleList(shared_up)

    # diffusers reads the config keys from the signature of __init__.
    __init__.__signature__ = inspect.signature(UNet2DConditionModel.__init__)

    @classmethod
    def from_sd_unet(cls, unet: UNet2DConditionModel) -> "UNetDEMConditionModel":
        """Initialise from a standard Stable Diffusion UNet (e.g. SD 2.1): duplicate conv_in, the
        first down block, the last up block, conv_norm_out and conv_out; keep the rest."""
        config = {k: v for k, v in unet.config.items() if not k.startswith("_")}
        model = cls(**config)
        model.load_state_dict(sd_state_dict_to_mesa(unet.state_dict(), len(unet.up_blocks)))
        return model.to(device=unet.device, dtype=unet.dtype)

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        return_dict: bool = True,
        **unsupported,
    ) -> UNet2DConditionOutput | tuple[torch.Tensor]:
        if unsupported:
            raise TypeError(f"UNetDEMConditionModel.forward got unsupported arguments: {sorted(unsupported)}")
        channels = self.config.in_channels
        if sample.shape[1] != 2 * channels:
            raise ValueError(f"expected {2 * channels} latent channels (image + elevation), got {sample.shape[1]}")
        if self.config.center_input_sample:
            sample = 2 * sample - 1.0
        emb = self.time_embedding(self.get_time_embed(sample=sample, timestep=timestep))
        context = encoder_hidden_states

        head_skips, head_outputs = {}, []
        for name, latent in zip(MODALITIES, sample.split(channels, dim=1)):
            hidden = getattr(self, f"conv_in_{name}")(latent)
            out, res = _run_down(getattr(self, f"head_{name}"), hidden, emb, context)
            head_skips[name] = (hidden, *res[:-1])
            head_outputs.append(out)
        hidden = torch.stack(head_outputs).mean(dim=0)

        skips = (hidden,)
        for block in self.down_blocks:
            hidden, res = _run_down(block, hidden, emb, context)
            skips += res
        hidden = self.mid_block(hidden, emb, encoder_hidden_states=context)

        size_must_be_forwarded = any(dim % 2**self.num_upsamplers for dim in sample.shape[-2:])
        for block in self.up_blocks:
            res, skips = skips[-len(block.resnets):], skips[: -len(block.resnets)]
            next_skip = skips[-1] if skips else head_skips["img"][-1]
            upsample_size = next_skip.shape[2:] if size_must_be_forwarded else None
            hidden = _run_up(block, hidden, res, emb, context, upsample_size)

        predictions = []
        for name in MODALITIES:
            out = _run_up(getattr(self, f"head_out_{name}"), hidden, head_skips[name], emb, context, None)
            out = self.conv_act(getattr(self, f"conv_norm_out_{name}")(out))
            predictions.append(getattr(self, f"conv_out_{name}")(out))
        prediction = torch.cat(predictions, dim=1)
        return UNet2DConditionOutput(sample=prediction) if return_dict else (prediction,)


def _run_down(block: torch.nn.Module, hidden: torch.Tensor, emb: torch.Tensor, context: torch.Tensor):
    if getattr(block, "has_cross_attention", False):
        return block(hidden_states=hidden, temb=emb, encoder_hidden_states=context)
    return block(hidden_states=hidden, temb=emb)


def _run_up(block, hidden, res, emb, context, upsample_size):
    if getattr(block, "has_cross_attention", False):
        return block(hidden_states=hidden, temb=emb, res_hidden_states_tuple=res,
                     encoder_hidden_states=context, upsample_size=upsample_size)
    return block(hidden_states=hidden, temb=emb, res_hidden_states_tuple=res, upsample_size=upsample_size)


def sd_state_dict_to_mesa(state_dict: dict[str, torch.Tensor], n_up: int) -> dict[str, torch.Tensor]:
    """Map a standard SD UNet state dict onto MESA's layout (per-modality copies of the first
    down block, the last up block, conv_in, conv_norm_out and conv_out; shared blocks renumbered)."""
    mapped = {}
    for key, value in state_dict.items():
        module, _, rest = key.partition(".")
        if module in _DUPLICATED:
            targets = [f"{name}.{rest}" for name in _DUPLICATED[module]]
        elif module in ("down_blocks", "up_blocks"):
            index, _, rest = rest.partition(".")
            index, last = int(index), (0 if module == "down_blocks" else n_up - 1)
            if index == last:
                head = "head" if module == "down_blocks" else "head_out"
                targets = [f"{head}_{name}.{rest}" for name in MODALITIES]
            else:
                targets = [f"{module}.{index - 1 if module == 'down_blocks' else index}.{rest}"]
        else:
            targets = [key]
        mapped.update({target: value.clone() for target in targets})
    return mapped
