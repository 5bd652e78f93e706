"""Dress a posed skeleton as a mannequin: solid limbs, an elliptical torso, a head with a face, hands and shoes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formcheck.synth.body import BodyDims, Skeleton
from formcheck.synth.shapes import Color, Ellipsoid, Material, RoundCone, Shape


@dataclass(frozen=True)
class Look:
    """Colours (BGR) of skin, hair and clothes."""

    skin: Color = (140, 172, 222)
    hair: Color = (35, 45, 60)
    shirt: Color = (170, 95, 40)
    shorts: Color = (60, 50, 45)
    shoes: Color = (225, 225, 230)
    socks: Color = (240, 240, 240)


def _cone(sk: Skeleton, a: str, b: str, ra: float, rb: float, material: Material, part: str) -> RoundCone:
    return RoundCone(sk.points[a], sk.points[b], ra, rb, material, part)


def build_mannequin(sk: Skeleton, dims: BodyDims = BodyDims(), look: Look = Look()) -> list[Shape]:
    """The shapes of one posed body, in the skeleton's coordinates."""
    skin = Material(look.skin)
    shirt = Material(look.shirt)
    face = Material(look.skin, band_color=look.hair, texture="face")
    pelvis, trunk, head = sk.frames["pelvis"], sk.frames["trunk"], sk.frames["head"]
    L = dims.trunk_length_m
    hw, hd = dims.hips_section_m
    ww, wd = dims.waist_section_m
    cw, cd = dims.chest_section_m
    shapes: list[Shape] = [
        Ellipsoid(sk.points["pelvis"] + pelvis @ np.array([0.0, -0.02, -0.01]), pelvis,
                  np.array([hw, 0.125, hd]), Material(look.shorts), "pelvis"),
        Ellipsoid(trunk @ np.array([0.0, 0.33 * L, 0.0]), trunk, np.array([ww, 0.19, wd]), shirt, "abdomen"),
        Ellipsoid(trunk @ np.array([0.0, 0.66 * L, 0.005]), trunk, np.array([cw, 0.2, cd]), shirt, "chest"),
        _cone(sk, "left_shoulder", "right_shoulder", 0.065, 0.065, shirt, "shoulders"),
        RoundCone(sk.points["shoulder_mid"] - trunk @ np.array([0.0, 0.03, 0.0]), sk.points["neck_top"],
                  dims.neck_radius_m, 0.9 * dims.neck_radius_m, skin, "neck"),
        Ellipsoid(sk.points["head_center"], head, np.array(dims.head_radii_m), face, "head"),
    ]
    rx, ry, rz = dims.head_radii_m
    nose_root = sk.points["head_center"] + head @ np.array([0.0, 0.05 * ry, 0.8 * rz])
    shapes.append(RoundCone(nose_root, sk.points["nose"], 0.016, 0.012, skin, "nose"))
    for side in ("left", "right"):
        ear = sk.points[f"{side}_ear"]
        shapes.append(Ellipsoid(ear, head, np.array([0.014, 0.032, 0.022]), skin, f"{side}_ear"))
        shapes += _arm(sk, dims, look, side)
        shapes += _leg(sk, dims, look, side)
    return shapes


def _arm(sk: Skeleton, dims: BodyDims, look: Look, side: str) -> list[Shape]:
    skin = Material(look.skin)
    sleeve = Material(look.skin, band_color=look.shirt, band_end=0.45)
    forearm = sk.frames[f"{side}_forearm"]
    sign = 1.0 if side == "left" else -1.0
    wrist = sk.points[f"{side}_wrist"]
    hand_center = wrist + forearm @ np.array([-sign * 0.004, -0.45 * dims.hand_m, 0.004])
    r_up, r_el = dims.upper_arm_radii_m
    r_fa, r_wr = dims.forearm_radii_m
    return [
        _cone(sk, f"{side}_shoulder", f"{side}_elbow", r_up, r_el, sleeve, f"{side}_upper_arm"),
        _cone(sk, f"{side}_elbow", f"{side}_wrist", r_fa, r_wr, skin, f"{side}_forearm"),
        Ellipsoid(hand_center, forearm, np.array([0.024, 0.5 * dims.hand_m, 0.045]), skin, f"{side}_hand"),
        RoundCone(wrist + forearm @ np.array([0.0, -0.03, 0.03]), sk.points[f"{side}_thumb"], 0.015, 0.012,
                  skin, f"{side}_hand"),
    ]


def _leg(sk: Skeleton, dims: BodyDims, look: Look, side: str) -> list[Shape]:
    shorts_leg = Material(look.skin, band_color=look.shorts, band_end=0.5)
    shin = Material(look.skin, band_color=look.socks, band_end=0.12)
    shoe = Material(look.shoes)
    foot = sk.frames[f"{side}_foot"]
    ankle = sk.points[f"{side}_ankle"]
    sole = -dims.ankle_height_m
    heel = ankle + foot @ np.array([0.0, sole + 0.042, -dims.heel_back_m + 0.04])
    toe = ankle + foot @ np.array([0.0, sole + 0.03, dims.toe_forward_m - 0.03])
    r_th, r_kn = dims.thigh_radii_m
    r_sh, r_an = dims.shank_radii_m
    return [
        _cone(sk, f"{side}_hip", f"{side}_knee", r_th, r_kn, shorts_leg, f"{side}_thigh"),
        _cone(sk, f"{side}_ankle", f"{side}_knee", r_an, r_sh, shin, f"{side}_shank"),
        RoundCone(heel, toe, 0.042, 0.032, shoe, f"{side}_foot"),
        RoundCone(ankle, heel, 0.036, 0.04, shoe, f"{side}_foot"),
    ]
