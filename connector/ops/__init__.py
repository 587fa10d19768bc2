"""Operator surface: health and readiness."""
