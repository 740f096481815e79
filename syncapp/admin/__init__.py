"""Admin pages, one module per area; importing them registers them."""
