"""Datasets of the course: all embedded or generated, nothing is downloaded."""
from .dates import DATE_VOCAB, DatePairs, make_dates
from .digits import Digits, load_digits
from .idx import IDXError, load_mnist, read_idx, write_idx
from .synthetic import InterferenceTask, make_interference_task
from .text import STDLIB_MODULES, CharCorpus, Vocab, lm_batches, load_char_corpus, words
from .toy import make_separable, make_xor, make_xor_blobs

__all__ = ["Digits", "load_digits", "IDXError", "load_mnist", "read_idx", "write_idx",
           "make_separable", "make_xor", "make_xor_blobs",
           "InterferenceTask", "make_interference_task",
           "DATE_VOCAB", "DatePairs", "make_dates",
           "STDLIB_MODULES", "CharCorpus", "Vocab", "lm_batches", "load_char_corpus", "words"]
