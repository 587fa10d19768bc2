"""Security middleware: HTTP hardening (headers, CORS) and screening of what tools return."""
