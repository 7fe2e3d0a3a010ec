"""CLI commands beyond the cycle, one module per area; each is registered in cli.py."""
