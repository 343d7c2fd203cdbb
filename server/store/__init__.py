"""Redis access: the only package that talks to Redis."""
