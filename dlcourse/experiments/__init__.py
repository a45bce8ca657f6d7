"""One module per chapter experiment, each with a quick (CPU) and a full size (book: each chapter's experiment)."""
