#!/usr/bin/env bash
# Train the bundled offline model from scratch and write it to assets/models/mesa-tiny/.
#
#   bash scripts/train_mesa_tiny.sh [--set KEY=VALUE ...]     (about 2 hours on a 2-core CPU)
#
# Runs `python -m recipes.mesa_tiny.recipe`: tokenizer and text encoder
# (trained with the UNet), synthetic tiles, `train-vae`, `train`, then assembles the model folder. The run
# folder (runs/mesa_tiny/) keeps checkpoints; run the same command again to resume. Log:
# runs/mesa_tiny/recipe.log. See docs/mesa_tiny.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
# Idle OpenMP threads sleep instead of spinning: on a CPU shared with other jobs, spinning threads
# made training steps 10-25x slower; on an idle machine this costs a few percent.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
mkdir -p runs/mesa_tiny
"$PYTHON" -m recipes.mesa_tiny.recipe "$@" 2>&1 | tee -a runs/mesa_tiny/recipe.log
