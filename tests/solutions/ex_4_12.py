"""A worked answer to exercise 4.12 (tests only; never published)."""


def receptive_field_size(layers):
    size, spacing = 1, 1            # spacing: input pixels between neighbouring units of the current layer
    for kernel, stride in layers:
        size += (kernel - 1) * spacing
        spacing *= stride
    return size
