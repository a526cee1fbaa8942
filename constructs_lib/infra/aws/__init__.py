"""AWS constructs: one construct per module."""
