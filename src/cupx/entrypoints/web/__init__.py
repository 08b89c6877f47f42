"""Server-rendered pages (Jinja2): the customer portal, the agent desk, the dashboard. Each module
defines `router`; pages use session cookies."""
