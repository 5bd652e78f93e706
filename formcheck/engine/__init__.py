"""The checker engine: a spec compiled against the metric columns, stepped frame by frame into reps, holds and violations."""
