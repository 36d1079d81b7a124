#!/usr/bin/env bash
# Distil the bundled mesa-tiny into its 4-step student and write it to assets/models/mesa-tiny-fast/.
#
#   bash scripts/distill_mesa_tiny_fast.sh [--set KEY=VALUE ...]     (about 45 minutes on a quiet 2-core CPU: 1.7 s per step)
#
# Prepares the recipe's tiles when missing, runs `python -m mesa distill --config configs/distill_mesa_tiny_fast.json` into runs/mesa_tiny_fast/
# (run the same command again to resume from its last checkpoint), then copies the exported student
# folder into assets/models/. See docs/fast.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"  # see scripts/train_mesa_tiny.sh
RUN=runs/mesa_tiny_fast
"$PYTHON" -m recipes.mesa_tiny.recipe --tiles-only  # runs/mesa_tiny/tiles, the recipe's own (skipped when there)
resume=()
if [ -d "$RUN/checkpoints" ]; then resume=(--resume latest); fi
"$PYTHON" -m mesa distill --config configs/distill_mesa_tiny_fast.json --output-dir "$RUN" "${resume[@]}" "$@"
rm -rf assets/models/mesa-tiny-fast.new
cp -r "$RUN/model" assets/models/mesa-tiny-fast.new
rm -rf assets/models/mesa-tiny-fast
mv assets/models/mesa-tiny-fast.new assets/models/mesa-tiny-fast
echo "wrote assets/models/mesa-tiny-fast"
