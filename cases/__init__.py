"""Cases app."""
