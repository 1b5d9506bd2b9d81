"""Outcome minutes and the public notice board: assembled from the record, signed off, published, verifiable."""
