"""Datasets of the course: all embedded or generated, nothing is downloaded."""
from .digits import Digits, load_digits
from .idx import IDXError, load_mnist, read_idx, write_idx

__all__ = ["Digits", "load_digits", "IDXError", "load_mnist", "read_idx", "write_idx"]
