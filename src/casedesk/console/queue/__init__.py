"""The engineers' queue: filters, sorting and the centre on shift (B10, C2)."""
