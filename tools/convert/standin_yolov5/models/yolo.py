"""Tiny YOLOv5-style detector with the MegaDetector v5 output contract.

Only for testing tools/convert: four detection levels at strides 8/16/32/64 (as in
YOLOv5x6, which MegaDetector v5a is), three anchors per level, three classes
(animal, person, vehicle), so every output row is
(cx, cy, w, h, objectness, p_animal, p_person, p_vehicle) in input-tensor pixels.
"""

from __future__ import annotations

import torch
from torch import nn

# YOLOv5 P6 anchors in pixels, one row per level (stride 8, 16, 32, 64).
P6_ANCHORS = (
    (19, 27, 44, 40, 38, 94),
    (96, 68, 86, 152, 180, 137),
    (140, 301, 303, 264, 238, 542),
    (436, 615, 739, 380, 925, 792),
)
STRIDES = (8.0, 16.0, 32.0, 64.0)


def conv(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    """3x3 convolution + batch norm + SiLU, the YOLOv5 building block."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.SiLU(),
    )


class Detect(nn.Module):
    """YOLOv5-style detection head (inference decoding, cached grids)."""

    dynamic = False  # rebuild the grids on every call (set by exporters)
    export = False  # return only the decoded tensor

    def __init__(self, nc: int, anchors, ch, strides) -> None:
        super().__init__()
        self.nc = nc
        self.no = nc + 5
        self.nl = len(anchors)
        self.na = len(anchors[0]) // 2
        self.grid = [torch.empty(0) for _ in range(self.nl)]
        self.anchor_grid = [torch.empty(0) for _ in range(self.nl)]
        self.register_buffer("stride", torch.tensor(strides))
        # Like YOLOv5, anchors are stored in units of the level's stride.
        anchors_px = torch.tensor(anchors, dtype=torch.float32).view(self.nl, -1, 2)
        self.register_buffer("anchors", anchors_px / self.stride.view(-1, 1, 1))
        self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in ch)
        self.inplace = False

    def forward(self, x):
        z = []
        for i in range(self.nl):
            x[i] = self.m[i](x[i])
            bs, _, ny, nx = x[i].shape
            x[i] = x[i].view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            if not self.training:
                if self.dynamic or self.grid[i].shape[2:4] != x[i].shape[2:4]:
                    self.grid[i], self.anchor_grid[i] = self._make_grid(nx, ny, i)
                xy, wh, conf = x[i].sigmoid().split((2, 2, self.nc + 1), 4)
                xy = (xy * 2 + self.grid[i]) * self.stride[i]
                wh = (wh * 2) ** 2 * self.anchor_grid[i]
                z.append(torch.cat((xy, wh, conf), 4).view(bs, self.na * nx * ny, self.no))
        if self.training:
            return x
        return (torch.cat(z, 1),) if self.export else (torch.cat(z, 1), x)

    def _make_grid(self, nx: int, ny: int, i: int):
        dev, dt = self.anchors.device, self.anchors.dtype
        shape = 1, self.na, ny, nx, 2
        yv, xv = torch.meshgrid(
            torch.arange(ny, device=dev, dtype=dt),
            torch.arange(nx, device=dev, dtype=dt),
            indexing="ij",
        )
        grid = torch.stack((xv, yv), 2).expand(shape) - 0.5
        anchor_grid = (self.anchors[i] * self.stride[i]).view((1, self.na, 1, 1, 2)).expand(shape)
        return grid, anchor_grid


class Model(nn.Module):
    """Backbone (strides 2..64) + one top-down upsample/concat step + Detect."""

    def __init__(self, nc: int = 3, width: int = 8) -> None:
        super().__init__()
        w = width
        self.stem = nn.Sequential(conv(3, w, 2), conv(w, 2 * w, 2), conv(2 * w, 2 * w, 2))  # /8
        self.down16 = conv(2 * w, 2 * w, 2)
        self.down32 = conv(2 * w, 4 * w, 2)
        self.down64 = conv(4 * w, 4 * w, 2)
        self.up = nn.Upsample(scale_factor=2.0, mode="nearest")
        self.fuse32 = conv(8 * w, 4 * w, 1)
        self.detect = Detect(nc, P6_ANCHORS, (2 * w, 2 * w, 4 * w, 4 * w), STRIDES)
        self.stride = self.detect.stride
        self.names = ["animal", "person", "vehicle"]

    def forward(self, x, augment: bool = False):
        if augment:
            raise NotImplementedError("augmented inference is not part of the stand-in")
        p3 = self.stem(x)
        p4 = self.down16(p3)
        p5 = self.down32(p4)
        p6 = self.down64(p5)
        p5 = self.fuse32(torch.cat((p5, self.up(p6)), 1))
        return self.detect([p3, p4, p5, p6])
