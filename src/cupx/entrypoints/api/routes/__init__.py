"""API routers, one module per area; each defines `router` and declares a permission on every route."""
