"""HTTP layer: thin views that load with a schema, call the core, query and dump."""
