//! Convolutions through the project's own CPU engine (`zoo-kernels`) where it applies, Burn's
//! `conv2d` everywhere else.
//!
//! Every convolution of the zoo goes through [`conv_fused`]: `relu?(bn?(conv(x)) + residual?)`.
//! On the flex device outside autodiff (inference), with `f32` contiguous tensors, the engine
//! computes it in one pass, bias (a folded BatchNorm's included), residual and ReLU fused into
//! the store. On any other device, under autodiff (training), for unfolded BatchNorms, or with
//! the engine switched off, the same function is Burn's ops one after the other, so model code
//! has one path and training keeps working.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use burn::nn::PaddingConfig2d;

use burn::nn::conv::Conv2d;
use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use crate::norm::BatchNorm;

pub use zoo_kernels::{Conv2dShape, Isa, fma_peak_gflops, isa, set_threads, threads};

const UNSET: u8 = 0;
const ON: u8 = 1;
const OFF: u8 = 2;
static STATE: AtomicU8 = AtomicU8::new(UNSET);

/// Whether convolutions on the flex device use the engine: on unless switched off by
/// [`set_enabled`] or the environment (`ZOO_ENGINE=off`, for comparing with flex's own).
pub fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        ON => true,
        OFF => false,
        _ => {
            let off = std::env::var("ZOO_ENGINE").is_ok_and(|v| matches!(v.as_str(), "off" | "0"));
            STATE.store(if off { OFF } else { ON }, Ordering::Relaxed);
            !off
        }
    }
}

/// Switches the engine on or off for the whole process.
pub fn set_enabled(on: bool) {
    STATE.store(if on { ON } else { OFF }, Ordering::Relaxed);
}

/// `relu?(bn?(conv(x)) + residual?)`: the convolution with what follows it fused where the
/// engine runs (see the module docs); a folded `bn` is already in the convolution's bias.
pub fn conv_fused(
    conv: &Conv2d,
    bn: Option<&BatchNorm>,
    x: Tensor<4>,
    residual: Option<Tensor<4>>,
    act_relu: bool,
) -> Tensor<4> {
    if RECORDING.load(Ordering::Relaxed)
        && let Some(shape) = shape(conv, &x)
    {
        SHAPES.lock().unwrap_or_else(|e| e.into_inner()).push(shape);
    }
    let pending_bn = bn.filter(|bn| !bn.folded);
    if pending_bn.is_none()
        && let Some(y) = flex::conv(conv, &x, residual.as_ref(), act_relu)
    {
        return y;
    }
    let y = flex::conv(conv, &x, None, false).unwrap_or_else(|| conv.forward(x));
    let y = match pending_bn {
        Some(bn) => bn.forward(y),
        None => y,
    };
    let y = match residual {
        Some(r) => y + r,
        None => y,
    };
    if act_relu { relu(y) } else { y }
}

static RECORDING: AtomicBool = AtomicBool::new(false);
static SHAPES: Mutex<Vec<Conv2dShape>> = Mutex::new(Vec::new());

/// Runs `f` and returns, with its result, the geometry of every convolution it ran through
/// [`conv_fused`], in order (for per-layer benchmarks; process-wide, so one caller at a time).
pub fn record_shapes<T>(f: impl FnOnce() -> T) -> (T, Vec<Conv2dShape>) {
    SHAPES.lock().unwrap_or_else(|e| e.into_inner()).clear();
    RECORDING.store(true, Ordering::Relaxed);
    let out = f();
    RECORDING.store(false, Ordering::Relaxed);
    let shapes = std::mem::take(&mut *SHAPES.lock().unwrap_or_else(|e| e.into_inner()));
    (out, shapes)
}

/// The engine's description of `conv` applied to `x`; `None` for `Same` padding, which the
/// zoo never uses.
pub fn shape(conv: &Conv2d, x: &Tensor<4>) -> Option<Conv2dShape> {
    let [batch, c_in, h, w] = x.dims();
    let [c_out, _, kh, kw] = conv.weight.dims();
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(t, l, b, r) => [t, l, b, r],
        PaddingConfig2d::Valid => [0; 4],
        PaddingConfig2d::Same => return None,
    };
    Some(Conv2dShape {
        batch,
        c_in,
        h,
        w,
        c_out,
        kh,
        kw,
        stride: conv.stride,
        padding,
        dilation: conv.dilation,
        groups: conv.groups,
    })
}

/// The convolution alone (no BatchNorm, residual or activation).
pub fn conv(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    conv_fused(conv, None, x, None, false)
}

#[cfg(feature = "flex")]
mod flex {
    use burn::tensor::{DType, Tensor, TensorData};
    use burn_flex::{Flex, FlexTensor};
    use zoo_kernels::{Conv2dShape, Fused, conv2d};

    use super::{Conv2d, enabled, shape};

    /// Grouped convolutions with fewer output channels per group than this go to flex, whose
    /// depthwise path suits them better than a GEMM with a handful of rows.
    const MIN_CHANNELS_PER_GROUP: usize = 8;

    /// The flex primitive of `t` if it is a contiguous f32 flex tensor outside autodiff.
    fn primitive<const D: usize>(t: &Tensor<D>) -> Option<FlexTensor> {
        let p = t.clone().try_into_primitive::<Flex>().ok()?;
        (p.dtype() == DType::F32 && p.layout().contiguous_offsets().is_some()).then_some(p)
    }

    fn values(p: &FlexTensor) -> &[f32] {
        let (start, end) = p.layout().contiguous_offsets().expect("checked contiguous");
        &p.storage::<f32>()[start..end]
    }

    /// The engine's result, or `None` where it does not apply.
    pub(super) fn conv(
        conv: &Conv2d,
        x: &Tensor<4>,
        residual: Option<&Tensor<4>>,
        relu: bool,
    ) -> Option<Tensor<4>> {
        if !enabled() {
            return None;
        }
        let shape = shape(conv, x)?;
        let Conv2dShape {
            batch,
            c_out,
            groups,
            ..
        } = shape;
        if c_out / groups < MIN_CHANNELS_PER_GROUP && groups > 1 {
            return None;
        }
        let input = primitive(x)?;
        let weight = primitive(&conv.weight.val())?;
        let bias = match &conv.bias {
            Some(b) => Some(primitive(&b.val())?),
            None => None,
        };
        let [ho, wo] = shape.out_hw();
        let res = match residual {
            Some(r) if r.dims() == [batch, c_out, ho, wo] => Some(primitive(r)?),
            Some(_) => return None,
            None => None,
        };
        let mut out = vec![0f32; shape.lens()[2]];
        let fused = Fused {
            bias: bias.as_ref().map(values),
            residual: res.as_ref().map(values),
            relu,
        };
        // A shape Burn accepted but the engine refuses is left to Burn, which reports it.
        conv2d(&shape, values(&input), values(&weight), fused, &mut out).ok()?;
        let data = TensorData::new(out, [batch, c_out, ho, wo]);
        Some(Tensor::from_primitive::<Flex>(FlexTensor::from_data(data)))
    }
}

#[cfg(not(feature = "flex"))]
mod flex {
    use super::{Conv2d, Tensor};

    pub(super) fn conv(
        _: &Conv2d,
        _: &Tensor<4>,
        _: Option<&Tensor<4>>,
        _: bool,
    ) -> Option<Tensor<4>> {
        None
    }
}
