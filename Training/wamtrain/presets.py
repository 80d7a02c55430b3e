"""The sizes of the 1D ResNet family, without importing PyTorch (the command checks its options
with them before anything heavy is loaded)."""

# Channel widths of the stem and the four residual stages. "base" is the bundled audio-resnet.
PRESETS = {
    "tiny": (8, 16, 24, 48, 48),
    "small": (16, 24, 48, 96, 96),
    "base": (24, 32, 64, 128, 128),
}

# The product of the stem's and the stages' strides: the shortest window has a few steps left.
DOWNSAMPLING = 4 * 4 * 4 * 4 * 2
MIN_WINDOW = 2 * DOWNSAMPLING
