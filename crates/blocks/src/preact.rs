//! The pre-activation basic block (He et al. 2016, "Identity Mappings"; Zagoruyko &
//! Komodakis 2016): BN-ReLU-conv3×3-BN-ReLU-(dropout)-conv3×3, added to the input. Where the
//! shape changes, a bias-free 1×1 projection (`convdim`) takes the pre-activated input, as in
//! the official WRN code. Field names are that code's keys.

use burn::module::Module;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Dropout, DropoutConfig};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use crate::conv::{batch_norm, conv1x1, conv3x3};

#[derive(Module, Debug)]
pub struct PreActBlock {
    pub bn0: BatchNorm,
    pub conv0: Conv2d,
    pub bn1: BatchNorm,
    pub dropout: Dropout,
    pub conv1: Conv2d,
    pub convdim: Option<Conv2d>,
}

impl PreActBlock {
    /// `dropout` is the probability between the two convolutions (WRN: 0.3 on CIFAR, or 0).
    pub fn new(c_in: usize, c_out: usize, stride: usize, dropout: f64, device: &Device) -> Self {
        Self {
            bn0: batch_norm(c_in, 1e-5, device),
            conv0: conv3x3(c_in, c_out, stride, 1, device),
            bn1: batch_norm(c_out, 1e-5, device),
            dropout: DropoutConfig::new(dropout).init(),
            conv1: conv3x3(c_out, c_out, 1, 1, device),
            convdim: (c_in != c_out || stride != 1).then(|| conv1x1(c_in, c_out, stride, device)),
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let o1 = relu(self.bn0.forward(x.clone()));
        let y = self.conv0.forward(o1.clone());
        let o2 = self.dropout.forward(relu(self.bn1.forward(y)));
        let z = self.conv1.forward(o2);
        match &self.convdim {
            Some(proj) => z + proj.forward(o1),
            None => z + x,
        }
    }
}
