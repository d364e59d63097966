"""Cross-module tests: HTTP (JSON-RPC) and browser tests against a running trytond."""
