"""What a run leaves behind: report.json, metrics.csv, the drawn overlay, the annotated video, atomic file writes."""
