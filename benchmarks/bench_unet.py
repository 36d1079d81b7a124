"""Seconds per denoising step of the full-size MESA UNet (SD 2.1 768-v config, random weights).

Prints, for 512 and 768 px and fp32/bf16: one batched classifier-free-guidance call (batch 2:
[uncond, cond]) against two separate batch-1 calls measured beside it, and their ratio. (Per-step
parity with the published reference implementation was checked side by side in one process
outside this repository, whose licence keeps that code out; see the README.)

    python -m benchmarks.bench_unet [--sizes 512 768] [--dtypes fp32 bf16] [--repeats 2]
"""

from __future__ import annotations

import argparse
import time

import torch

from mesa.models.unet_dem import SD21_768V_CONFIG, UNetDEMConditionModel

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def seconds_per_call(model, batch: int, size: int, dtype: torch.dtype, repeats: int, device: str) -> float:
    latent = torch.randn(batch, 8, size // 8, size // 8, dtype=dtype, device=device)
    context = torch.randn(batch, 77, 1024, dtype=dtype, device=device)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    with torch.inference_mode():
        model(latent, 500, context)  # warm-up
        sync()
        start = time.perf_counter()
        for _ in range(repeats):
            model(latent, 500, context)
        sync()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 768])
    parser.add_argument("--dtypes", nargs="+", default=["fp32", "bf16"], choices=list(DTYPES))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = UNetDEMConditionModel(**SD21_768V_CONFIG).eval().to(args.device)
    print(f"device={args.device} threads={torch.get_num_threads()} params={sum(p.numel() for p in model.parameters()) / 1e6:.0f}M")
    print(f"{'size':>5} {'dtype':>5} {'batched s/step':>15} {'2 calls s/step':>15} {'separate/batched':>17}")
    for dtype_name in args.dtypes:
        model = model.to(DTYPES[dtype_name])
        for size in args.sizes:
            batched = seconds_per_call(model, 2, size, DTYPES[dtype_name], args.repeats, args.device)
            separate = 2 * seconds_per_call(model, 1, size, DTYPES[dtype_name], args.repeats, args.device)
            print(f"{size:>5} {dtype_name:>5} {batched:>15.3f} {separate:>15.3f} {separate / batched:>17.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
