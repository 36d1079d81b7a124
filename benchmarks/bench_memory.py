"""Measured peak memory against the estimates that bound every generation request (mesa.pipeline.memory).

Each case runs in a fresh subprocess (random weights, fp32, one thread) and reports the growth of
the peak RSS during the measured call beside the estimate; the estimate must stay above.

    python -m benchmarks.bench_memory [--quick]

Cases: the full-size SD 2.1 768-v UNet (one forward, batch 2) and the SD VAE decoder at several
sizes, and whole generations with the bundled mesa-tiny at 128-512 px.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

PROBE = r"""
import json, resource, sys, torch
torch.set_num_threads(1)
kind, size, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
from types import SimpleNamespace
from mesa.pipeline import memory

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

with torch.no_grad():
    if kind == "unet":
        from mesa.models.unet_dem import SD21_768V_CONFIG, UNetDEMConditionModel
        model = UNetDEMConditionModel(**SD21_768V_CONFIG).eval()
        x, context = torch.randn(batch, 8, size // 8, size // 8), torch.randn(batch, 77, 1024)
        base = peak(); model(x, 500, encoder_hidden_states=context)
        estimate = memory.unet_bytes(model, batch, size // 8, size // 8)
    elif kind == "vae":
        from diffusers import AutoencoderKL
        model = AutoencoderKL(block_out_channels=[128, 256, 512, 512], layers_per_block=2, latent_channels=4,
                              down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4).eval()
        z = torch.randn(batch, 4, size // 8, size // 8)
        base = peak(); model.decode(z)
        estimate = memory.vae_decode_bytes(model, batch, size, size)
    else:
        from mesa.pipeline import TerrainPipeline
        pipe = TerrainPipeline.from_pretrained("mesa-tiny")
        pipe("A Sentinel-2 image of hills", seeds=[0], steps=2, height=128, width=128)  # warm up
        base = peak(); pipe("A Sentinel-2 image of hills", seeds=list(range(batch)), steps=4, height=size, width=size)
        estimate = memory.sampling_bytes(pipe.unet, pipe.vae, 8, batch, size, size, pipe.vae_scale_factor, True)
print(json.dumps({"measured": peak() - base, "estimate": estimate}))
"""

CASES = [("unet", 256, 2), ("unet", 512, 2), ("unet", 512, 4), ("vae", 256, 1), ("vae", 512, 1), ("vae", 512, 2),
         ("mesa-tiny", 128, 4), ("mesa-tiny", 256, 4), ("mesa-tiny", 512, 2)]
QUICK = [("unet", 256, 2), ("vae", 256, 1), ("mesa-tiny", 128, 4)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three small cases only")
    args = parser.parse_args()
    print(f"{'case':<10} {'px':>5} {'batch':>5} {'measured MB':>12} {'estimate MB':>12} {'estimate/measured':>18}")
    worst = float("inf")
    for kind, size, batch in QUICK if args.quick else CASES:
        result = subprocess.run([sys.executable, "-c", PROBE, kind, str(size), str(batch)], capture_output=True,
                                text=True, check=True, env={"OMP_NUM_THREADS": "1", "PATH": ""})
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        ratio = figures["estimate"] / max(figures["measured"], 1)
        worst = min(worst, ratio)
        print(f"{kind:<10} {size:>5} {batch:>5} {figures['measured'] / 2**20:>12.0f} {figures['estimate'] / 2**20:>12.0f} "
              f"{ratio:>18.2f}", flush=True)
    print(f"smallest estimate/measured: {worst:.2f} (must stay above 1: the estimates are upper bounds)")
    return 0 if worst > 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
