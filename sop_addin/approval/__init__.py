"""Approval: the locked snapshot, its signed manifest, verification, distribution, lineage."""
