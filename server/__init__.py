"""xieshang-live: the real-time hub for livestreamed public consultations."""
