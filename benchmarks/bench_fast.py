"""Fast terrain: seconds per terrain of a few-step student against its 50-step teacher, and the GPU path.

    .venv/bin/python -m benchmarks.bench_fast [--teacher mesa-tiny] [--student mesa-tiny-fast]
                                              [--repeats 3] [--gpu-size 768] [--gpu-seeds 1 4 8]

1. CPU (always): the teacher at its defaults (mesa-tiny: unipc, 20 steps, guidance 1.5, overscan 16)
   and the student at its defaults (mesa-tiny-fast: lcm, 2 steps, guidance folded in, overscan 16),
   then the student at 4 steps with its overscan and without (the issue's 4-step figure), text to
   decoded terrain, one seed, in this process, this machine's threads: median seconds per terrain
   over --repeats, UNet evaluations per terrain (counted by a hook on the UNet) and the ratio at
   the defaults.
2. App (always): the page's Generate callback from the click to the gallery's tiles (sampling,
   the session's files, the gallery images), at the app's default 4 variations of a four-part
   prompt, full settings against the "Fast preview" box (`ui.fast_preview`: the student when
   there is one, else the teacher at 8 steps), in this process: median seconds over --repeats.
3. GPU (only when CUDA is present; it says so when not): the full-size MESA UNet (SD 2.1 768-v
   config; random weights: the cost does not depend on them) in the pipeline's one denoising
   loop at --gpu-size px, 50 guided steps (100 evaluations) against 4 student steps (4
   evaluations), for fp32 / bf16 / fp16, SDPA attention against the classic attention processor,
   channels_last, and batches of 1/4/8 seeds: seconds per terrain and terrains per minute.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch

from mesa.pipeline.pipeline import TerrainPipeline
from mesa.pipeline.sampling import denoise, make_schedule

PROMPT = "A Sentinel-2 image of conifer forests and mountains in Switzerland in July"
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
TEACHER_STEPS, STUDENT_STEPS, GUIDANCE = 50, 4, 7.5


def counting(pipe: TerrainPipeline, calls: list[int]):
    """Hook on the UNet: `calls` gets each evaluation's batch size; returns the hook's handle."""
    return pipe.unet.register_forward_pre_hook(lambda module, inputs: calls.append(inputs[0].shape[0]))


def cpu_section(teacher_name: str, student_name: str, repeats: int) -> None:
    teacher, student = TerrainPipeline.from_pretrained(teacher_name), TerrainPipeline.from_pretrained(student_name)
    print(f"CPU, {torch.get_num_threads()} threads, {teacher.native_size} px, one seed, median of {repeats}:")
    runs = [(f"teacher {teacher_name}", teacher, teacher.defaults),
            (f"student {student_name}", student, student.defaults),
            (f"student {student_name}", student, replace(student.defaults, steps=STUDENT_STEPS)),
            (f"student {student_name}", student, replace(student.defaults, steps=STUDENT_STEPS, overscan=0))]
    rows = []
    for label, pipe, settings in dict.fromkeys(runs):  # the student's defaults may already be a later row
        def generate(seed: int) -> None:
            pipe(PROMPT, seeds=[seed], steps=settings.steps, guidance=settings.guidance, sampler=settings.sampler,
                 overscan=settings.overscan)

        calls = []
        hook = counting(pipe, calls)
        generate(0)  # warm-up
        calls.clear()
        times = []
        for repeat in range(repeats):
            started = time.perf_counter()
            generate(repeat)
            times.append(time.perf_counter() - started)
        hook.remove()
        rows.append((label, float(np.median(times)), sum(calls) / repeats, settings))
    print(f"  {'model':34} {'sampler':>8} {'steps':>5} {'overscan':>8} {'UNet evals':>10} {'s/terrain':>10}")
    for label, seconds, evaluations, settings in rows:
        print(f"  {label:34} {settings.sampler:>8} {settings.steps:>5} {settings.overscan:>8} {evaluations:>10.0f} "
              f"{seconds:>10.3f}")
    (_, teacher_s, teacher_evals, _), (_, student_s, student_evals, _) = rows[:2]
    print(f"  speed-up at the defaults {teacher_s / student_s:.1f}x; UNet evaluations {teacher_evals:.0f} -> "
          f"{student_evals:.0f}")


def gpu_loop_seconds(unet, size: int, seeds: int, steps: int, guided: bool, dtype: torch.dtype, repeats: int = 2,
                     device: str = "cuda") -> float:
    """Seconds of the one denoising loop for `seeds` latents of `unet` (synchronised, after a warm-up)."""
    latents = torch.randn(seeds, 2 * unet.config.in_channels, size // 8, size // 8, device=device, dtype=dtype)
    cond = torch.randn(seeds, 77, unet.config.cross_attention_dim, device=device, dtype=dtype)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def predictor(sample: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        if not guided:
            return unet(sample, timestep, encoder_hidden_states=cond).sample
        uncond_out, cond_out = unet(torch.cat([sample] * 2), timestep,
                                    encoder_hidden_states=torch.cat([cond, cond])).sample.chunk(2)
        return uncond_out + GUIDANCE * (cond_out - uncond_out)

    config = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                  prediction_type="v_prediction", timestep_spacing="trailing", original_inference_steps=50)
    sampler = "ddim" if guided else "lcm"
    run: Callable[[], torch.Tensor] = lambda: denoise(latents, make_schedule(sampler, config, steps, device), predictor)  # noqa: E731
    with torch.inference_mode():
        run()
        sync()
        started = time.perf_counter()
        for _ in range(repeats):
            run()
        sync()
    return (time.perf_counter() - started) / repeats


def gpu_section(size: int, seed_counts: list[int]) -> None:
    if not torch.cuda.is_available():
        print("\nGPU: skipped, CUDA is not available on this machine (run on a CUDA GPU for the fp16/bf16, SDPA, "
              "channels_last and batched-seed figures)")
        return
    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0

    from mesa.models.unet_dem import SD21_768V_CONFIG, UNetDEMConditionModel

    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    base = UNetDEMConditionModel(**SD21_768V_CONFIG).eval()
    print(f"\nGPU {torch.cuda.get_device_name()}: full-size UNet ({sum(p.numel() for p in base.parameters()) / 1e6:.0f}M "
          f"params, random weights), {size} px, the denoising loop only (text encoder and VAE excluded)")
    print(f"  {'variant':30} {'seeds':>5} {'50 steps s/terrain':>19} {'4 steps s/terrain':>18} {'terrains/min @4':>16}")
    variants = [("fp32 SDPA", torch.float32, AttnProcessor2_0, False),
                ("bf16 classic attention", torch.bfloat16, AttnProcessor, False),
                ("bf16 SDPA", torch.bfloat16, AttnProcessor2_0, False),
                ("bf16 SDPA channels_last", torch.bfloat16, AttnProcessor2_0, True),
                ("fp16 SDPA channels_last", torch.float16, AttnProcessor2_0, True)]
    for label, dtype, processor, channels_last in variants:
        unet = base.to("cuda", dtype)
        unet.set_attn_processor(processor())
        unet = unet.to(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
        for seeds in (seed_counts if label == "bf16 SDPA channels_last" else seed_counts[:1]):
            teacher = gpu_loop_seconds(unet, size, seeds, TEACHER_STEPS, True, dtype) / seeds
            student = gpu_loop_seconds(unet, size, seeds, STUDENT_STEPS, False, dtype) / seeds
            print(f"  {label:30} {seeds:>5} {teacher:>19.3f} {student:>18.3f} {60 / student:>16.0f}", flush=True)
        torch.cuda.empty_cache()


def app_section(teacher_name: str, repeats: int) -> None:
    """Click to first result in the app's Generate callback, full settings vs the fast preview."""
    import tempfile

    from ui import layout
    from ui.fast_preview import load_preview
    from ui.lifetime import SessionRegistry

    teacher = TerrainPipeline.from_pretrained(teacher_name)
    preview = load_preview(teacher)
    parts = ("conifer forests", "mountains", "Canada", "July", "", True)
    d = teacher.defaults
    print(f"App, Generate click to gallery, 4 variations, {torch.get_num_threads()} threads, median of {repeats}:")
    print(f"  fast preview runs: {preview.label}")
    with tempfile.TemporaryDirectory() as folder:
        sessions = SessionRegistry(folder)
        try:
            rows = {}
            for label, fast in (("full settings", False), ("fast preview", True)):
                session, times = None, []
                for repeat in range(repeats + 1):  # the first is a warm-up
                    started = time.perf_counter()
                    _, status, session = layout._generate(teacher, preview, sessions, *parts, repeat, 4, d.steps,
                                                          d.guidance, d.sampler, teacher.native_size, 0, fast, session,
                                                          progress=None)
                    times.append(time.perf_counter() - started)
                    if not status.startswith("Done"):
                        raise RuntimeError(status)
                rows[label] = float(np.median(times[1:]))
                print(f"  {label:14} {rows[label]:8.2f} s")
            print(f"  speed-up {rows['full settings'] / rows['fast preview']:.1f}x")
        finally:
            sessions.close_all()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default="mesa-tiny")
    parser.add_argument("--student", default="mesa-tiny-fast")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gpu-size", type=int, default=768)
    parser.add_argument("--gpu-seeds", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--skip-cpu", action="store_true", help="only the GPU section")
    parser.add_argument("--skip-app", action="store_true", help="without the app section")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if not args.skip_cpu:
        cpu_section(args.teacher, args.student, args.repeats)
    if not args.skip_app and not args.skip_cpu:
        app_section(args.teacher, args.repeats)
    gpu_section(args.gpu_size, args.gpu_seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
