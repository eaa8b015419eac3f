"""Reporters: everything a person reads about CUA steps, built from the `Trail` alone."""
