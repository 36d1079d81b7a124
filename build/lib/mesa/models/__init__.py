"""Model definitions: MESA's dual-head UNet."""

from mesa.models.unet_dem import UNetDEMConditionModel

__all__ = ["UNetDEMConditionModel"]
