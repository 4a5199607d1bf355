"""CIFAR reference networks, written after the papers' official code, for parity fixtures.

wrn(depth, width): Zagoruyko & Komodakis' functional WRN (szagoruyko/wide-residual-networks,
pytorch/resnet.py): flat parameter dict with keys such as `group0.block0.conv0` and
`group1.block0.bn0.running_mean`, pre-activation blocks, 1x1 `convdim` projection from the
pre-activated input where the width changes.
"""

import torch
import torch.nn.functional as F


def _conv(ni, no, k, gen):
    w = torch.empty(no, ni, k, k)
    return torch.nn.init.kaiming_normal_(w, generator=gen)


def _bn(n, gen):
    return {
        "weight": torch.rand(n, generator=gen) + 0.5,
        "bias": torch.randn(n, generator=gen) * 0.1,
        "running_mean": torch.zeros(n),
        "running_var": torch.ones(n),
    }


def wrn(depth: int, width: int, num_classes: int = 10, seed: int = 0):
    """Returns (params, forward) where forward(x, calibrate=None) runs the network in eval mode.
    With `calibrate` a torch.Generator, each BN first sets its running statistics from its
    input (perturbed per channel), like scripts/reference.py does for torchvision models."""
    assert (depth - 4) % 6 == 0
    n = (depth - 4) // 6
    widths = [16 * width, 32 * width, 64 * width]
    gen = torch.Generator().manual_seed(seed)
    p = {"conv0": _conv(3, 16, 3, gen)}
    ni = 16
    for g, no in enumerate(widths):
        for b in range(n):
            base = f"group{g}.block{b}"
            cin = ni if b == 0 else no
            p[f"{base}.conv0"] = _conv(cin, no, 3, gen)
            p[f"{base}.conv1"] = _conv(no, no, 3, gen)
            for name, c in (("bn0", cin), ("bn1", no)):
                p.update({f"{base}.{name}.{k}": v for k, v in _bn(c, gen).items()})
            if cin != no:
                p[f"{base}.convdim"] = _conv(cin, no, 1, gen)
        ni = no
    p.update({f"bn.{k}": v for k, v in _bn(widths[2], gen).items()})
    fc = torch.nn.Linear(widths[2], num_classes)
    p["fc.weight"], p["fc.bias"] = fc.weight.data, fc.bias.data

    def batch_norm(x, base, calibrate):
        if calibrate is not None:
            var = x.var((0, 2, 3), unbiased=False)
            c = x.shape[1]
            p[base + ".running_mean"] = x.mean((0, 2, 3)) + torch.randn(c, generator=calibrate) * 0.1 * var.sqrt()
            p[base + ".running_var"] = var * (torch.rand(c, generator=calibrate) + 0.5) + 1e-3
        return F.batch_norm(x, p[base + ".running_mean"], p[base + ".running_var"],
                            p[base + ".weight"], p[base + ".bias"], False)

    def block(x, base, stride, calibrate):
        o1 = F.relu(batch_norm(x, base + ".bn0", calibrate))
        y = F.conv2d(o1, p[base + ".conv0"], stride=stride, padding=1)
        o2 = F.relu(batch_norm(y, base + ".bn1", calibrate))
        z = F.conv2d(o2, p[base + ".conv1"], stride=1, padding=1)
        if base + ".convdim" in p:
            return z + F.conv2d(o1, p[base + ".convdim"], stride=stride)
        return z + x

    def forward(x, calibrate=None, embed=False):
        o = F.conv2d(x, p["conv0"], padding=1)
        for g, stride in enumerate((1, 2, 2)):
            for b in range(n):
                o = block(o, f"group{g}.block{b}", stride if b == 0 else 1, calibrate)
        o = F.relu(batch_norm(o, "bn", calibrate))
        o = F.avg_pool2d(o, 8, 1, 0).view(o.size(0), -1)
        return o if embed else F.linear(o, p["fc.weight"], p["fc.bias"])

    return p, forward


class PreActBasic(torch.nn.Module):
    """Pre-activation basic unit (ResNet-110 of He et al. 2016): the WRN block at width 1."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        nn = torch.nn
        self.bn0, self.conv0 = nn.BatchNorm2d(cin), nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1, self.conv1 = nn.BatchNorm2d(cout), nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.convdim = nn.Conv2d(cin, cout, 1, stride, bias=False) if cin != cout or stride != 1 else None

    def forward(self, x):
        o1 = F.relu(self.bn0(x))
        z = self.conv1(F.relu(self.bn1(self.conv0(o1))))
        return z + (self.convdim(o1) if self.convdim is not None else x)


class PreActBottleneck(torch.nn.Module):
    """KaimingHe/resnet-1k-layers resnet-pre-act.lua `bottleneck`: stride on the first 1x1;
    where nInputPlane ~= nOutputPlane the first BN-ReLU is shared and a 1x1 projection (no BN)
    is the shortcut, else the identity. Convolutions have no bias (cudnn >= 4000 branch)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        nn, mid = torch.nn, cout // 4
        self.bn1, self.conv1 = nn.BatchNorm2d(cin), nn.Conv2d(cin, mid, 1, stride, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(mid), nn.Conv2d(mid, mid, 3, 1, 1, bias=False)
        self.bn3, self.conv3 = nn.BatchNorm2d(mid), nn.Conv2d(mid, cout, 1, bias=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, bias=False) if cin != cout else None

    def forward(self, x):
        o = F.relu(self.bn1(x))
        y = self.conv3(F.relu(self.bn3(self.conv2(F.relu(self.bn2(self.conv1(o)))))))
        return y + (self.shortcut(o) if self.shortcut is not None else x)


class PreActResNet(torch.nn.Module):
    """CIFAR pre-activation ResNet: conv 3->16, three stages, BN-ReLU, 8x8 average pool, fc.
    Bottleneck (9n+2): stage outputs 64/128/256 as in resnet-pre-act.lua; basic (6n+2): 16/32/64."""

    def __init__(self, depth, bottleneck, num_classes=10):
        super().__init__()
        unit, n, widths = (
            (PreActBottleneck, (depth - 2) // 9, (64, 128, 256)) if bottleneck
            else (PreActBasic, (depth - 2) // 6, (16, 32, 64))
        )
        # Names as in the official WRN code (conv0, group0..2, bn, fc), which the zoo's
        # pre-activation trunk shares.
        self.conv0 = torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        cin, stages = 16, []
        for w, stride in zip(widths, (1, 2, 2)):
            stages.append(torch.nn.Sequential(*[unit(cin if i == 0 else w, w, stride if i == 0 else 1) for i in range(n)]))
            cin = w
        self.group0, self.group1, self.group2 = stages
        self.bn = torch.nn.BatchNorm2d(cin)
        self.fc = torch.nn.Linear(cin, num_classes)
        for m in self.modules():  # ConvInit of the Lua code: N(0, sqrt(2 / (k*k*out)))
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        o = self.group2(self.group1(self.group0(self.conv0(x))))
        o = F.avg_pool2d(F.relu(self.bn(o)), 8).flatten(1)
        return self.fc(o)


class DenseLayer(torch.nn.Module):
    """liuzhuang13/DenseNet DenseConnectLayerStandard: BN-ReLU-[conv1x1 4k-BN-ReLU]-conv3x3 k,
    output concatenated behind the input; no convolution bias (cudnn >= 4000 branch)."""

    def __init__(self, cin, growth, bottleneck):
        super().__init__()
        nn = torch.nn
        self.norm1 = nn.BatchNorm2d(cin)
        if bottleneck:
            self.conv1 = nn.Conv2d(cin, 4 * growth, 1, bias=False)
            self.norm2 = nn.BatchNorm2d(4 * growth)
            self.conv2 = nn.Conv2d(4 * growth, growth, 3, 1, 1, bias=False)
        else:
            self.conv1 = nn.Conv2d(cin, growth, 3, 1, 1, bias=False)
            self.norm2 = self.conv2 = None

    def forward(self, x):
        y = self.conv1(F.relu(self.norm1(x)))
        if self.conv2 is not None:
            y = self.conv2(F.relu(self.norm2(y)))
        return torch.cat([x, y], 1)


class Transition(torch.nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm = torch.nn.BatchNorm2d(cin)
        self.conv = torch.nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        return F.avg_pool2d(self.conv(F.relu(self.norm(x))), 2)


class DenseNet(torch.nn.Module):
    """liuzhuang13/DenseNet models/densenet.lua, CIFAR branch: conv 3->2k, three dense blocks of
    N = (depth-4)/3 layers (halved for BC), transitions with reduction 0.5 (BC) or 1,
    BN-ReLU, 8x8 average pool, linear."""

    def __init__(self, depth, growth, bc, num_classes=10):
        super().__init__()
        n = (depth - 4) // 3 // (2 if bc else 1)
        c = 2 * growth
        self.conv0 = torch.nn.Conv2d(3, c, 3, 1, 1, bias=False)
        blocks, transitions = [], []
        for b in range(3):
            layers = []
            for _ in range(n):
                layers.append(DenseLayer(c, growth, bc))
                c += growth
            blocks.append(torch.nn.Sequential(*layers))
            if b < 2:
                out = c // 2 if bc else c
                transitions.append(Transition(c, out))
                c = out
        self.block1, self.block2, self.block3 = blocks
        self.trans1, self.trans2 = transitions
        self.norm = torch.nn.BatchNorm2d(c)
        self.fc = torch.nn.Linear(c, num_classes)
        for m in self.modules():  # ConvInit of the Lua code
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.block1(self.conv0(x))
        x = self.block2(self.trans1(x))
        x = self.block3(self.trans2(x))
        return self.fc(F.avg_pool2d(F.relu(self.norm(x)), 8).flatten(1))


class CifarBasicBlock(torch.nn.Module):
    """akamaster/pytorch_resnet_cifar10 resnet.py BasicBlock. Option A: x[:, :, ::2, ::2] padded
    with planes//4 zero channels on each side; option B: 1x1 conv + BN named `shortcut`."""

    def __init__(self, cin, planes, stride, option, survival=None):
        super().__init__()
        nn = torch.nn
        # Stochastic depth: the residual branch survives a training mini-batch with this
        # probability (one draw per batch, as the paper) and is scaled by it in evaluation.
        self.survival = survival
        self.conv1, self.bn1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False), nn.BatchNorm2d(planes)
        self.conv2, self.bn2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False), nn.BatchNorm2d(planes)
        self.pad = None
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != planes:
            if option == "A":
                self.pad = planes // 4
            else:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        if self.pad is not None:
            sc = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad), "constant", 0)
        else:
            sc = self.shortcut(x)
        if self.survival is not None and self.training and torch.rand(()) >= self.survival:
            return F.relu(sc)
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.survival is not None and not self.training:
            out = out * self.survival
        return F.relu(out + sc)


class CifarResNet(torch.nn.Module):
    """akamaster ResNet for CIFAR: conv 3->16, BN, ReLU, three stages (16, 32, 64) of n basic
    blocks, global average pool, `linear`."""

    def __init__(self, depth, option="A", num_classes=10, survival_last=None):
        super().__init__()
        n = (depth - 2) // 6
        # Stochastic depth's linear decay: block l of L survives with 1 - l/L (1 - p_L).
        survival = (lambda l: 1 - l / (3 * n) * (1 - survival_last)) if survival_last else (lambda l: None)
        self.conv1, self.bn1 = torch.nn.Conv2d(3, 16, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(16)
        cin, stages = 16, []
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(n):
                blocks.append(CifarBasicBlock(cin, planes, stride if i == 0 else 1, option,
                                              survival(len(stages) * n + i + 1)))
                cin = planes
            stages.append(torch.nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.linear = torch.nn.Linear(64, num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.linear(F.avg_pool2d(out, out.size()[3]).flatten(1))
