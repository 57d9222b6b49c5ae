#!/usr/bin/env python3
# mean-shape.py GOLDENS.json - print the generic 3D face of agent/face/pose.c:
# x, y the mean of face-api's landmarks of the demo faces in tests/face/goldens.json (each normalised to
# eye centres level, 63 mm apart, mirrored pairs averaged so the mean is
# frontal), z (toward the camera, nose tip 0) anthropometric depths.
import json, math, sys
g = json.load(open(sys.argv[1]))
mirror = list(range(16, -1, -1)) + list(range(26, 16, -1)) + [27, 28, 29, 30] + \
    [35, 34, 33, 32, 31] + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40] + \
    [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55] + [64, 63, 62, 61, 60, 67, 66, 65]
assert sorted(mirror) == list(range(68)) and all(mirror[mirror[i]] == i for i in range(68))
acc = [[0.0, 0.0] for _ in range(68)]
n = 0
for im in g['images']:
    for f in im['sizes']['416']['faces']:
        p = f['landmarks']
        lx = sum(q[0] for q in p[36:42]) / 6; ly = sum(q[1] for q in p[36:42]) / 6
        rx = sum(q[0] for q in p[42:48]) / 6; ry = sum(q[1] for q in p[42:48]) / 6
        a = math.atan2(ry - ly, rx - lx); s = 63.0 / math.hypot(rx - lx, ry - ly)
        cx, cy = (lx + rx) / 2, (ly + ry) / 2
        for i, (x, y) in enumerate(p):
            dx, dy = x - cx, y - cy
            acc[i][0] += s * (math.cos(a) * dx + math.sin(a) * dy)
            acc[i][1] += s * (-math.sin(a) * dx + math.cos(a) * dy)
        n += 1
m = [[x / n, y / n] for x, y in acc]
sym = [[(m[i][0] - m[mirror[i]][0]) / 2, (m[i][1] + m[mirror[i]][1]) / 2] for i in range(68)]
for i in (27, 28, 29, 30, 33, 51, 57, 62, 66, 8):
    sym[i][0] = 0.0
# put the nose tip at y = 0
ny = sym[30][1]
sym = [[x, y - ny] for x, y in sym]
jaw_a = 1.02 * max(abs(sym[i][0]) for i in range(17))
brow_a = max(abs(sym[i][0]) for i in range(17, 27))
z = [0.0] * 68
for i in range(17):
    z[i] = -100 + 78 * math.sqrt(max(0, 1 - (sym[i][0] / jaw_a) ** 2))
for i in range(17, 27):
    z[i] = -28 - 18 * (abs(sym[i][0]) / brow_a) ** 2
for i, v in zip(range(27, 31), (-26, -18, -9, 0)): z[i] = v
for i, v in zip(range(31, 36), (-15, -10, -7, -10, -15)): z[i] = v
for i, v in zip(range(36, 48), (-40, -35, -32, -31, -32, -35, -31, -32, -35, -40, -35, -32)): z[i] = v
for i, v in zip(range(48, 60), (-30, -22, -17, -15, -17, -22, -30, -22, -17, -15, -17, -22)): z[i] = v
for i, v in zip(range(60, 68), (-27, -19, -17, -19, -27, -19, -17, -19)): z[i] = v
print(f"/* {n} faces */")
for i in range(68):
    print(f"\t{{ {sym[i][0]:7.2f}, {sym[i][1]:7.2f}, {-z[i]:6.1f} }},\t/* {i} */")
