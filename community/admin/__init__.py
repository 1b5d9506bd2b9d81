"""Self-service administration: first-run set-up, streets and communities, staff and their scopes,
one-time account codes, the audit page. Layers: core (pure rules) ← store ← services ← web, cli."""
