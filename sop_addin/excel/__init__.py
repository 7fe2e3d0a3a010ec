"""The Excel edge: what the ribbon's VBA callback calls into."""
