"""A training run's resumable state as plain data: tensors (for safetensors) and JSON values.

Nothing here reads files; `mesa.training.checkpoint` writes and reads these. Loading validates
everything against the live objects of the resuming run (names, shapes, JSON structure) and
raises ValueError naming the first mismatch, so a damaged or foreign checkpoint is refused
before training continues.

    weights     the trainable tensors of every trained module, "unet.<key>", "text_encoder.<key>",
                ... (frozen weights are not stored: they come from the run's starting point)
    optimizer   state tensors "<param index>.<name>" (exp_avg, exp_avg_sq, step for AdamW); the
                param groups' hyper-parameters and which state each parameter has go to JSON
    ema         shadow weights under the same names as the parameters they follow; decay and
                step count go to JSON
    scheduler / grad scaler   JSON (their state is numbers)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

Tensors = dict[str, torch.Tensor]


@dataclass
class TrainingState:
    """What a checkpoint holds besides the data position and random states.

    Attributes:
        modules: the trained modules by name ("unet", "text_encoder", "vae"), unwrapped (not the
            DDP wrappers), so that names do not depend on the launch.
        optimizer: the optimizer (Accelerate's wrapper or a plain one).
        lr_scheduler: the learning-rate scheduler, or None.
        ema: a diffusers EMAModel over `named_parameters(modules)` in that order, or None.
        grad_scaler: the fp16 gradient scaler (`accelerator.scaler`), or None.
    """

    modules: dict[str, torch.nn.Module]
    optimizer: torch.optim.Optimizer
    lr_scheduler: object | None = None
    ema: object | None = None
    grad_scaler: object | None = None


def named_parameters(modules: dict[str, torch.nn.Module]) -> list[tuple[str, torch.nn.Parameter]]:
    """Every parameter of the modules as ("<module>.<name>", parameter), in module order."""
    return [(f"{prefix}.{name}", parameter) for prefix, module in modules.items()
            for name, parameter in module.named_parameters()]


def trainable_tensors(modules: dict[str, torch.nn.Module]) -> Tensors:
    """Trainable parameters and buffers of the modules, "<module>.<state_dict key>" -> tensor."""
    tensors = {}
    for prefix, module in modules.items():
        frozen = {name for name, parameter in module.named_parameters() if not parameter.requires_grad}
        for key, value in module.state_dict(keep_vars=True).items():
            if key not in frozen:
                tensors[f"{prefix}.{key}"] = value.detach()
    return tensors


def load_trainable(modules: dict[str, torch.nn.Module], saved: Tensors) -> None:
    """Copy saved trainable tensors into the modules; the names and shapes must match exactly."""
    live = trainable_tensors(modules)
    check_same_tensors(saved, live, "trainable weights")
    with torch.no_grad():
        for name, target in live.items():
            target.copy_(saved[name])


def check_same_tensors(saved: Tensors, live: Tensors, what: str) -> None:
    missing, unexpected = sorted(set(live) - set(saved)), sorted(set(saved) - set(live))
    if missing or unexpected:
        raise ValueError(f"the {what} differ from this run's (missing {_names(missing)}, unexpected "
                         f"{_names(unexpected)}); resume with the settings the checkpoint was written with")
    for name, target in live.items():
        if saved[name].shape != target.shape:
            raise ValueError(f"{name} has shape {tuple(saved[name].shape)}, this run's has {tuple(target.shape)}")


def _names(names: list[str]) -> str:
    return "none" if not names else ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def optimizer_state(optimizer: torch.optim.Optimizer) -> tuple[Tensors, dict]:
    """(state tensors, JSON document) of an optimizer."""
    state_dict = optimizer.state_dict()
    tensors, entries = {}, {}
    for index, entry in state_dict["state"].items():
        values = {}
        for key, value in entry.items():
            if torch.is_tensor(value):
                tensors[f"{index}.{key}"] = value.detach()
            else:
                values[key] = value
        entries[str(index)] = {"tensors": [k for k, v in entry.items() if torch.is_tensor(v)], "values": values}
    return tensors, {"param_groups": state_dict["param_groups"], "state": entries}


def load_optimizer(optimizer: torch.optim.Optimizer, tensors: Tensors, document: object) -> None:
    """Restore an optimizer from `optimizer_state` output (checked against the live optimizer)."""
    live = optimizer.state_dict()
    if not isinstance(document, dict):
        raise TypeError("the optimizer entry must be an object")
    saved_groups = document.get("param_groups")
    if not isinstance(saved_groups, list) or len(saved_groups) != len(live["param_groups"]):
        raise ValueError(f"the optimizer has {len(live['param_groups'])} parameter groups; the checkpoint differs")
    groups = []
    for saved, template in zip(saved_groups, live["param_groups"]):
        if not isinstance(saved, dict) or saved.get("params") != template["params"]:
            raise ValueError("the optimizer's parameter groups hold other parameters than this run's")
        groups.append({key: conform(saved.get(key, value), value, f"param group {key}")
                       for key, value in template.items()})
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    state = {}
    entries = document.get("state")
    if not isinstance(entries, dict):
        raise TypeError("the optimizer state must be an object")
    for index_text, entry in entries.items():
        index = int(index_text)
        if not 0 <= index < len(parameters) or not isinstance(entry, dict):
            raise ValueError(f"optimizer state for parameter {index_text} does not fit this run's optimizer")
        state[index] = _state_entry(index, entry, tensors, parameters[index])
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def _state_entry(index: int, entry: dict, tensors: Tensors, parameter: torch.Tensor) -> dict:
    names, values = entry.get("tensors"), entry.get("values")
    if not isinstance(names, list) or not isinstance(values, dict):
        raise TypeError(f"optimizer state {index} must list its tensors and values")
    result = {key: conform(value, None, f"optimizer state {index}.{key}") for key, value in values.items()}
    for name in names:
        tensor = tensors.get(f"{index}.{name}")
        if tensor is None or not tensor.dtype.is_floating_point:
            raise ValueError(f"optimizer tensor {index}.{name} is missing or not floating point")
        if tensor.dim() and tensor.shape != parameter.shape:
            raise ValueError(f"optimizer tensor {index}.{name} has shape {tuple(tensor.shape)}, "
                             f"its parameter {tuple(parameter.shape)}")
        result[name] = tensor
    return result


def ema_state(ema, names: list[str]) -> tuple[Tensors, dict]:
    """(shadow weights by parameter name, JSON scalars) of a diffusers EMAModel."""
    values = {key: value for key, value in ema.state_dict().items() if key != "shadow_params"}
    return {name: shadow.detach() for name, shadow in zip(names, ema.shadow_params)}, values


def load_ema(ema, names: list[str], tensors: Tensors, document: object) -> None:
    """Restore an EMAModel from `ema_state` output."""
    live = {name: shadow for name, shadow in zip(names, ema.shadow_params)}
    check_same_tensors(tensors, live, "EMA weights")
    template = {key: value for key, value in ema.state_dict().items() if key != "shadow_params"}
    ema.load_state_dict(conform(document, template, "EMA"))
    with torch.no_grad():
        for name, shadow in live.items():
            shadow.copy_(tensors[name])


def conform(saved: object, template: object, where: str) -> object:
    """`saved` (decoded JSON) shaped like `template`: same keys, lengths and kinds of scalars; tuples
    where the template has tuples; template keys missing from `saved` keep the template's value.
    A None template accepts any JSON scalar. ValueError naming `where` otherwise."""
    if isinstance(template, dict):
        if not isinstance(saved, dict):
            raise TypeError(f"{where} must be an object")
        return {key: conform(saved[key], value, f"{where}.{key}") if key in saved else value
                for key, value in template.items()}
    if isinstance(template, (list, tuple)):
        if not isinstance(saved, list) or len(saved) != len(template):
            raise ValueError(f"{where} must be a list of {len(template)}")
        return type(template)(conform(s, t, f"{where}[{i}]") for i, (s, t) in enumerate(zip(saved, template)))
    if template is None:
        if saved is not None and not isinstance(saved, (bool, int, float, str)):
            raise ValueError(f"{where} must be a number, a string or null")
        return saved
    if isinstance(template, bool) or isinstance(saved, bool):
        if type(saved) is not type(template):
            raise ValueError(f"{where} must be {type(template).__name__}")
        return saved
    if isinstance(template, int):
        if not isinstance(saved, int):
            raise TypeError(f"{where} must be a whole number")
        return saved
    if isinstance(template, float):
        if not isinstance(saved, (int, float)) or not math.isfinite(saved):
            raise ValueError(f"{where} must be a finite number")
        return float(saved)
    if isinstance(template, str):
        if not isinstance(saved, str):
            raise TypeError(f"{where} must be a string")
        return saved
    return template
