"""Scoring analysis reports against ground truth: synthetic truth files, hand labels of real clips."""
