"""Training step time, throughput and peak memory of the MESA trainer's step (random weights).

    python -m benchmarks.bench_training --preset tiny                       # CPU, seconds
    python -m benchmarks.bench_training --preset tiny --train-text-encoder  # + joint text encoder, ratio
    python -m benchmarks.bench_training --preset full --mixed-precision bf16 \\
        --gradient-checkpointing --batch-sizes 1,2,4,8,16,24,32,48,64      # GPU: largest batch that fits

One step = frozen VAE encode of colour + elevation, frozen CLIP text encode, noise, UNet forward,
masked v loss, backward, AdamW step: the functions `mesa.training.train` runs. "full" is the
Stable Diffusion 2.1 size (UNet 865M + OpenCLIP-H text encoder + SD VAE) at 768 px (96 x 96
latents). Weights are random: speed and memory do not depend on their values. Prints one JSON
line per batch size; stops at the first batch size that runs out of memory. With
`--train-text-encoder` each batch size then runs again with the text encoder trained jointly
(`train_text_encoder`), in the same process, and prints its step time as a ratio to the frozen one.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

import torch
from diffusers import AutoencoderKL, DDPMScheduler
from transformers import CLIPTextConfig, CLIPTextModel

from mesa.models.unet_dem import SD21_768V_CONFIG, UNetDEMConditionModel
from mesa.training.components import SD21_SCHEDULER_CONFIG, StartingPoint
from mesa.training.config import TrainConfig
from mesa.training.data import Batch
from mesa.training.loss import step_generator
from mesa.training.train import (
    DTYPES,
    diffusion_loss,
    make_text_encoder_trainable,
    make_trainable,
    place_components,
)

SD21_UNET = SD21_768V_CONFIG
SD21_TEXT = dict(vocab_size=49408, hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
                 num_attention_heads=16, max_position_embeddings=77, hidden_act="gelu", projection_dim=512)
SD_VAE = {"block_out_channels": [128, 256, 512, 512], "layers_per_block": 2, "latent_channels": 4,
          "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
          "sample_size": 768, "scaling_factor": 0.18215}
TINY_UNET = {
    "sample_size": 16, "in_channels": 4, "out_channels": 4, "layers_per_block": 1, "block_out_channels": [8, 16],
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "cross_attention_dim": 32, "attention_head_dim": 2, "norm_num_groups": 4, "use_linear_projection": True,
}
TINY_TEXT = dict(vocab_size=1000, hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=4,
                 max_position_embeddings=77, projection_dim=32, bos_token_id=0, eos_token_id=2)
TINY_VAE = {"block_out_channels": [16, 32], "layers_per_block": 1, "latent_channels": 4, "norm_num_groups": 4,
            "down_block_types": ["DownEncoderBlock2D"] * 2, "up_block_types": ["UpDecoderBlock2D"] * 2}
PRESETS = {"tiny": (TINY_UNET, TINY_TEXT, TINY_VAE, 32), "full": (SD21_UNET, SD21_TEXT, SD_VAE, 768)}


def build_start(preset: str) -> tuple[StartingPoint, int]:
    unet_config, text_config, vae_config, resolution = PRESETS[preset]
    start = StartingPoint(None, CLIPTextModel(CLIPTextConfig(**text_config)), AutoencoderKL(**vae_config),
                          UNetDEMConditionModel(**unet_config), dict(SD21_SCHEDULER_CONFIG))
    return start, resolution


def random_batch(batch_size: int, resolution: int, latent_factor: int, vocab: int) -> Batch:
    pixels = torch.rand(batch_size, 3, resolution, resolution) * 2 - 1
    latent = resolution // latent_factor
    return Batch(pixels, pixels.clone(), torch.ones(batch_size, 1, resolution, resolution, dtype=torch.bool),
                 torch.ones(batch_size, 1, latent, latent, dtype=torch.bool),
                 torch.randint(0, vocab, (batch_size, 77)), [""] * batch_size, list(range(batch_size)), 0, 0, 10.0)


def bench(start: StartingPoint, resolution: int, batch_size: int, steps: int, warmup: int, device: torch.device,
          dtype: torch.dtype) -> dict:
    parameters = [p for module in (start.unet, start.text_encoder) for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=1e-5)
    scheduler = DDPMScheduler.from_config(start.scheduler_config)
    factor = 2 ** (len(start.vae.config.block_out_channels) - 1)
    batch = random_batch(batch_size, resolution, factor, start.text_encoder.config.vocab_size)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for step in range(warmup + steps):
        begin = time.perf_counter()
        with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
            loss = diffusion_loss(start.unet, start.text_encoder, start.vae, batch, scheduler,
                                  step_generator(0, step, 0, 0, device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - begin)
    step_s = statistics.median(times[warmup:])
    peak = (torch.cuda.max_memory_allocated(device) if device.type == "cuda"
            else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    del optimizer
    return {"batch_size": batch_size, "step_s": round(step_s, 4), "samples_per_s": round(batch_size / step_s, 3),
            "peak_memory_gb": round(peak / 1e9, 3),
            "peak_memory_kind": "cuda max_memory_allocated" if device.type == "cuda" else "process max RSS"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--mixed-precision", choices=sorted(DTYPES), default="no")
    parser.add_argument("--gradient-checkpointing", action="store_true")
    parser.add_argument("--batch-sizes", default="2", help="comma-separated; stops at the first that does not fit")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--train-text-encoder", action="store_true",
                        help="then repeat each batch size with the text encoder trained jointly")
    args = parser.parse_args()

    device, dtype = torch.device(args.device), DTYPES[args.mixed_precision]
    torch.backends.cuda.matmul.allow_tf32 = True
    start, resolution = build_start(args.preset)
    config = TrainConfig(pretrained="-", gradient_checkpointing=args.gradient_checkpointing)
    place_components(start, device, dtype)
    make_trainable(start.unet, config)
    header = {"preset": args.preset, "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
              "threads": torch.get_num_threads(), "mixed_precision": args.mixed_precision,
              "gradient_checkpointing": args.gradient_checkpointing, "resolution": resolution,
              "unet_parameters_m": round(sum(p.numel() for p in start.unet.parameters()) / 1e6, 1),
              "text_encoder_parameters_m": round(sum(p.numel() for p in start.text_encoder.parameters()) / 1e6, 2)}
    print(json.dumps(header), flush=True)
    batch_sizes = [int(b) for b in args.batch_sizes.split(",")]
    frozen = run_batch_sizes(start, resolution, batch_sizes, args, device, dtype, {"text_encoder": "frozen"})
    if args.train_text_encoder:
        place_components(start, device, dtype, train_text_encoder=True)
        make_text_encoder_trainable(start.text_encoder, config)
        run_batch_sizes(start, resolution, batch_sizes, args, device, dtype, {"text_encoder": "trained"}, frozen)


def run_batch_sizes(start: StartingPoint, resolution: int, batch_sizes: list[int], args, device: torch.device,
                    dtype: torch.dtype, label: dict, baseline: dict[int, float] | None = None) -> dict[int, float]:
    """Print one line per batch size (with the step time ratio to `baseline`); return the step times."""
    step_times = {}
    for batch_size in batch_sizes:
        try:
            result = {**label, **bench(start, resolution, batch_size, args.steps, args.warmup, device, dtype)}
        except torch.OutOfMemoryError:
            print(json.dumps({**label, "batch_size": batch_size, "out_of_memory": True}), flush=True)
            break
        finally:
            start.unet.zero_grad(set_to_none=True)
            start.text_encoder.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.empty_cache()
        step_times[batch_size] = result["step_s"]
        if baseline and batch_size in baseline:
            result["step_s_ratio_to_frozen"] = round(result["step_s"] / baseline[batch_size], 3)
        print(json.dumps(result), flush=True)
    return step_times


if __name__ == "__main__":
    main()
