"""The recipe of the bundled offline model mesa-tiny: `python -m recipes.mesa_tiny` (see docs/mesa_tiny.md).

Not part of the product: nothing in `mesa/`, `ui/` or `app.py` imports it.
"""
