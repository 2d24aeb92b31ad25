"""Model cards: README.md snapshots of each family's top models and the contamination-disclosure classifier."""
