"""Operations: the embedded redis-server, first-start bootstrap, rehearsal mode."""
