"""PyTorch references for the course's other networks (crates/nin and, later, the others of
the issue): the parity fixtures (scripts/reference.py) and the training comparisons
(scripts/transfer_reference.py) build them from here.
"""

import torch
import torch.nn.functional as F
from torch import nn


class NiN(nn.Module):
    """Network in Network (Lin et al. 2013) as jiecaoyu/pytorch-nin-cifar10 ports the paper's
    Caffe CIFAR-10 model: three mlpconv blocks (k×k conv + two 1×1 convs, each with a ReLU),
    max-pool 3/2 then average pool 3/2 (padding 1, counted) with dropout 0.5 after each, and the
    last 1×1 conv to one map per class, its ReLU and a global average. Weights kaiming_normal_
    (fan-in), biases 0 (the Caffe model's N(0, 0.05²) dies under one SGD rate; see crates/nin).
    `features` and `classifier` are zoo_nin::Nin's fields."""

    def __init__(self, in_channels=3, widths=((192, 160, 96), (192, 192, 192), (192, 192)),
                 kernels=(5, 5, 3), num_classes=10, dropout=0.5):
        super().__init__()
        layers, c = [], in_channels
        for b, (w, k) in enumerate(zip(widths, kernels)):
            layers += [nn.Conv2d(c, w[0], k, 1, k // 2), nn.ReLU(), nn.Conv2d(w[0], w[1], 1), nn.ReLU()]
            c = w[1]
            if b < 2:
                layers += [nn.Conv2d(w[1], w[2], 1), nn.ReLU()]
                layers.append(nn.MaxPool2d(3, 2, 1) if b == 0 else nn.AvgPool2d(3, 2, 1))
                layers.append(nn.Dropout(dropout))
                c = w[2]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Conv2d(c, num_classes, 1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x, embed=False):
        x = self.features(x)
        if embed:
            return x.mean((2, 3))
        return F.relu(self.classifier(x)).mean((2, 3))


def nin_cifar10(num_classes=10):
    return NiN(3, num_classes=num_classes)


def nin_fashion(num_classes=10):
    """zoo_nin::nin_fashion: 28×28 grey, a third of the CIFAR-10 network's width."""
    return NiN(1, ((64, 48, 32), (64, 64, 64), (64, 64)), num_classes=num_classes)


NETWORKS = {"nin_cifar10": nin_cifar10, "nin_fashion": nin_fashion}


class BilinearCNN(nn.Module):
    """Symmetric bilinear CNN B-CNN [D,D] (Lin et al. 2015) as HaoMood/bilinear-cnn writes it:
    torchvision VGG-16's `features` without the last max-pool, the outer product of the
    conv5_3 map with itself averaged over locations, sign(x)·sqrt(|x| + 1e-5), L2
    normalisation, `fc`. Fields as zoo_bilinear::BilinearCnn's."""

    def __init__(self, num_classes=200):
        super().__init__()
        import torchvision

        self.features = torchvision.models.vgg16(weights=None).features[:-1]
        self.fc = nn.Linear(512 * 512, num_classes)

    def pool(self, x):
        n, c, h, w = x.shape
        x = x.reshape(n, c, h * w)
        x = torch.bmm(x, x.transpose(1, 2)) / (h * w)
        x = x.reshape(n, c * c)
        x = torch.sign(x) * torch.sqrt(x.abs() + 1e-5)
        return F.normalize(x)

    def forward(self, x, embed=False):
        x = self.pool(self.features(x))
        return x if embed else self.fc(x)


NETWORKS["bilinear_vgg16"] = BilinearCNN


GATE_BIAS = -4.0  # zoo_blocks::GATE_BIAS, which says why


def he_linear(d_in, d_out, bias=0.0):
    layer = nn.Linear(d_in, d_out)
    nn.init.kaiming_normal_(layer.weight)
    nn.init.constant_(layer.bias, bias)
    return layer


class HighwayLinear(nn.Module):
    """Srivastava et al. 2015: y = H(x)·T(x) + x·(1 − T(x)), H = ReLU(plain x), T = σ(gate x)."""

    def __init__(self, width, gate_bias=GATE_BIAS):
        super().__init__()
        self.plain, self.gate = he_linear(width, width), he_linear(width, width, gate_bias)

    def forward(self, x):
        h, t = F.relu(self.plain(x)), torch.sigmoid(self.gate(x))
        return x + t * (h - x)


class PlainLinear(nn.Module):
    """relu(W x + b), keyed as zoo_highway's Hidden::Plain (`layers.i.weight`)."""

    def __init__(self, width):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(width, width))
        self.bias = nn.Parameter(torch.zeros(width))
        nn.init.kaiming_normal_(self.weight)

    def forward(self, x):
        return F.relu(F.linear(x, self.weight, self.bias))


class FcNet(nn.Module):
    """zoo_highway::FcNet: `input` (pixels → width, ReLU), depth − 2 plain (71 units) or highway
    (50 units) layers, `fc`."""

    def __init__(self, highway, depth, num_classes=10, side=28):
        super().__init__()
        width = 50 if highway else 71
        self.input = he_linear(side * side, width)
        self.layers = nn.ModuleList(HighwayLinear(width) if highway else PlainLinear(width)
                                    for _ in range(depth - 2))
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x, embed=False):
        x = F.relu(self.input(x.flatten(1)))
        for layer in self.layers:
            x = layer(x)
        return x if embed else self.fc(x)


class HighwayConv(nn.Module):
    def __init__(self, channels, k=3, gate_bias=GATE_BIAS):
        super().__init__()
        self.plain = nn.Conv2d(channels, channels, k, 1, k // 2)
        self.gate = nn.Conv2d(channels, channels, k, 1, k // 2)
        for conv in (self.plain, self.gate):
            nn.init.kaiming_normal_(conv.weight)
        nn.init.zeros_(self.plain.bias)
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x):
        h, t = F.relu(self.plain(x)), torch.sigmoid(self.gate(x))
        return x + t * (h - x)


class HighwayCnn(nn.Module):
    """zoo_highway::HighwayCnn: stem 3×3 → 32, two highway blocks, pool, 3×3 → 64, two highway
    blocks, pool, global average, fc."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.stem, self.conv2 = nn.Conv2d(1, 32, 3, 1, 1), nn.Conv2d(32, 64, 3, 1, 1)
        for conv in (self.stem, self.conv2):
            nn.init.kaiming_normal_(conv.weight)
            nn.init.zeros_(conv.bias)
        self.stage1 = nn.ModuleList(HighwayConv(32) for _ in range(2))
        self.stage2 = nn.ModuleList(HighwayConv(64) for _ in range(2))
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x, embed=False):
        x = F.relu(self.stem(x))
        for b in self.stage1:
            x = b(x)
        x = F.relu(self.conv2(F.max_pool2d(x, 2)))
        for b in self.stage2:
            x = b(x)
        x = F.max_pool2d(x, 2).mean((2, 3))
        return x if embed else self.fc(x)


for _depth in (10, 20, 50):
    NETWORKS[f"plain_fc{_depth}"] = lambda n=10, d=_depth: FcNet(False, d, n)
    NETWORKS[f"highway_fc{_depth}"] = lambda n=10, d=_depth: FcNet(True, d, n)
NETWORKS["highway_cnn"] = HighwayCnn


# DCGAN (Radford et al. 2015) at 28×28, as crates/dcgan: every weight N(0, 0.02²), no biases
# before a BatchNorm, the generator's 5×5 stride-2 transposed convolutions doubling the side
# (padding 2, output padding 1), the discriminator's last maps flattened into `fc`.
INIT_STD = 0.02


def _normal_(module):
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, INIT_STD)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self, latent=100, channels=1, side=28, width=64):
        super().__init__()
        up = lambda c_in, c_out: nn.ConvTranspose2d(c_in, c_out, 5, 2, 2, output_padding=1, bias=False)
        self.project = nn.ConvTranspose2d(latent, 2 * width, side // 4, bias=False)
        self.project_bn = nn.BatchNorm2d(2 * width)
        self.up1 = up(2 * width, width)
        self.up1_bn = nn.BatchNorm2d(width)
        self.up2 = up(width, channels)
        _normal_(self)

    def forward(self, z):
        x = F.relu(self.project_bn(self.project(z)))
        x = F.relu(self.up1_bn(self.up1(x)))
        return torch.tanh(self.up2(x))


class Discriminator(nn.Module):
    def __init__(self, num_classes=1, channels=1, side=28, width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, width, 5, 2, 2, bias=False)
        self.conv2 = nn.Conv2d(width, 2 * width, 5, 2, 2, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * width)
        self.fc = nn.Linear(2 * width * (side // 4) ** 2, num_classes)
        _normal_(self)

    def forward(self, x, embed=False):
        x = F.leaky_relu(self.conv1(x), 0.2)
        x = F.leaky_relu(self.bn2(self.conv2(x)), 0.2).flatten(1)
        return x if embed else self.fc(x)


NETWORKS["dcgan_discriminator"] = Discriminator
