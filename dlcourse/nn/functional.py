"""Functional forms, mirroring ``torch.nn.functional``: re-exported from the concept modules."""

__all__: list[str] = []
