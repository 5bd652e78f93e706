"""Exercise specs: the validated TOML description of each exercise, and its plain-text description."""
