"""Command line: ``model-gate check|validate|publish`` (one module per subcommand, a thin main)."""
