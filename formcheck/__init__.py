"""formcheck: an exercise form checker for hip-impingement (FAI) home programs.

The whole loop, as `formcheck analyze` runs it::

    source = sources.open_video("clip.mp4")                      # frames with their own timestamps
    with pose.PoseEstimator(model_store.resolve_model()) as est:
        track = pose.extract_track(source, est)                  # 33 landmarks per frame, gaps as NaN
    track = smoothing.smooth_track(quality.clean_track(track))   # repair swaps, distrust jumps, One Euro
    table = metrics.compute_metrics(track)                       # joint angles with confidence
    result, states = engine.run(specs.load_spec("bridge"), ...)  # reps, holds, rule violations
    report.write_report(...)                                     # report.json, metrics.csv, annotated.mp4
"""

__version__ = "0.1.0"
