"""Image features: dense patches, patch-wise encoders, spatial pyramid pooling."""
from ._image import (DensePatchExtractor, ImageSequence, PatchEncoder,
                     SpatialPyramidPooling, extract_dense_patches, pyramid_pool)

__all__ = ["DensePatchExtractor", "PatchEncoder", "SpatialPyramidPooling",
           "ImageSequence", "extract_dense_patches", "pyramid_pool"]
