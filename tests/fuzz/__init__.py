"""Fuzzing and HTTP hardening: schemathesis against /openapi.json, hypothesis against the JSON-RPC layer."""
