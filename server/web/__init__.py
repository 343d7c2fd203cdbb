"""HTTP: the JSON API and the pages, on top of the live path."""
