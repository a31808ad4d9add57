"""Phase 4: disrupting the deployment (restart, crash, down/up) and proving nothing is lost."""
