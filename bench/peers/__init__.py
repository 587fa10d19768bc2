"""The peers the connector is measured against, served from the same fake Attio (bench/peers/run.py)."""
