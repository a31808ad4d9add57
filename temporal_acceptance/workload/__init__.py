"""The sprint's test workflow, its worker, the worker driver and the execution script."""
