"""Chapter experiments, one module each (run by the book's notebooks at the quick size, ``DLCOURSE_SIZE=full``
for the full size)."""
