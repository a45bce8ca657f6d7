"""Datasets of the course: all embedded or generated, nothing is downloaded."""
from .digits import Digits, load_digits
from .idx import IDXError, load_mnist, read_idx, write_idx
from .synthetic import InterferenceTask, make_interference_task
from .toy import make_separable, make_xor, make_xor_blobs

__all__ = ["Digits", "load_digits", "IDXError", "load_mnist", "read_idx", "write_idx",
           "make_separable", "make_xor", "make_xor_blobs",
           "InterferenceTask", "make_interference_task"]
