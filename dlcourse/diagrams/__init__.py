"""Diagrams the chapters lean on, drawn by matplotlib code (book: Chapters 2-4). One module per figure family.

Every function draws and returns its figure or axes; the notebooks show them as numbered MyST figures.
"""
from .architectures import ALEXNET, LENET5, draw_architecture, draw_neocognitron
from .compgraph import draw_graph
from .convolution import draw_im2col, draw_receptive_field, draw_weight_sharing
from .gmdh_network import draw_gmdh
from .xor_spaces import plot_xor_spaces

__all__ = ["ALEXNET", "LENET5", "draw_architecture", "draw_neocognitron", "draw_graph", "draw_im2col",
           "draw_receptive_field", "draw_weight_sharing", "draw_gmdh", "plot_xor_spaces"]
