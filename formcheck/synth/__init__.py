"""Synthetic exercise videos with exact ground truth: a posed 3D body filmed by a virtual camera.

The flow, one module per step::

    clip = scripts.find_clip("single_leg_squat_right_valgus_front")   # camera, script, faults it shows
    sim = simulate.simulate(clip, seed=0)        # motion.Timeline -> body.pose_body -> mannequin -> placement
    frame = render.Renderer(clip.camera).render(sim.shapes[0])        # ray-cast picture, BGR
    track = truetrack.true_track(sim.landmarks, sim.t_s, clip.camera)  # the exact landmarks as a PoseTrack
    truth = truth.build_truth(sim)               # reps, holds and violation windows (formcheck.truth/1)

``generate.generate(out_dir)`` writes NAME.mp4, NAME.track.csv and NAME.truth.json for every sample clip;
``verify`` compares MediaPipe's landmarks on the videos with the truth.
"""
