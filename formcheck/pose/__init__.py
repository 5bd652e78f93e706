"""Frames in, landmarks out: video and camera sources, the MediaPipe adapter, and the pose model's provisioning."""
