//! Looking inside a model: the tensors its first layer learned.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::Tensor;

/// The first convolution's weights, `[out, in, kh, kw]`: the first rank-4 parameter in module
/// order, which is the stem convolution in every zoo family (the filters Krizhevsky et al. and
/// Zeiler & Fergus draw). `None` for a model without convolutions.
pub fn first_conv_filters<M: Module>(model: &M) -> Option<Tensor<4>> {
    let mut first = FirstConv(None);
    model.visit(&mut first);
    first.0
}

struct FirstConv(Option<Tensor<4>>);

impl ModuleVisitor for FirstConv {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if D == 4 && self.0.is_none() {
            let w = param.val();
            let d = w.dims();
            self.0 = Some(w.reshape([d[0], d[1], d[2], d[3]]));
        }
    }
}
