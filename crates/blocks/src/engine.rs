//! Convolutions through the project's own CPU engine (`zoo-kernels`) where it applies, Burn's
//! `conv2d` everywhere else.
//!
//! Every convolution of the zoo goes through [`conv_fused`]: `relu?(bn?(conv(x)) + residual?)`.
//! On the flex device outside autodiff (inference), with `f32` contiguous tensors, the engine
//! computes it in one pass, bias (a folded BatchNorm's included), residual and ReLU fused into
//! the store. On any other device, under autodiff (training), for unfolded BatchNorms, or with
//! the engine switched off, the same function is Burn's ops one after the other, so model code
//! has one path and training keeps working.
//!
//! ```
//! use burn::tensor::{Device, Distribution, Tensor};
//! use zoo_blocks::{ConvSpec, engine};
//!
//! let device = Device::default();
//! let conv = ConvSpec::new(16, 32, 3).padding(1).bias(true).build(&device);
//! let x = Tensor::<4>::random([1, 16, 12, 12], Distribution::Default, &device);
//! // relu(conv(x)) in one pass on the engine, then the same with Burn's ops.
//! let ours = engine::conv_fused(&conv, None, x.clone(), None, true);
//! engine::set_enabled(false);
//! let burn = burn::tensor::activation::relu(conv.forward(x));
//! engine::set_enabled(true);
//! let diff = (ours - burn).abs().max().into_scalar::<f32>();
//! assert!(diff < 1e-4);
//! ```
//!
//! Threads: the engine and flex share Rayon's global pool, one thread per core unless
//! [`set_threads`] (or `RAYON_NUM_THREADS`) says otherwise; operations below
//! [`zoo_kernels::parallel_min`] multiply-adds stay on the calling thread.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use burn::nn::PaddingConfig2d;

use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::nn::pool::{AvgPool2d, MaxPool2d};
use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use crate::norm::BatchNorm;

pub use zoo_kernels::{
    Conv2dShape, Isa, Pool2dShape, fma_peak_gflops, isa, parallel_min, set_isa, set_parallel_min,
    set_threads, set_winograd, threads, winograd,
};

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

/// Frees the weights the engine prepared (Winograd's transformed filters, 16/9 of each 3×3
/// layer's weights). They are freed anyway once their model is dropped, at the next
/// convolution; this frees them now.
pub fn clear_prepared() {
    flex::clear_prepared();
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
    let on = enabled();
    if on
        && pending_bn.is_none()
        && let Some(y) = flex::conv(conv, &x, residual.as_ref(), act_relu)
    {
        return y;
    }
    // The engine without the fused part: for a BatchNorm still to apply, or a residual it
    // could not take. (Anything else it refused above, it would refuse again.)
    let retry = on && (pending_bn.is_some() || residual.is_some());
    let y = retry
        .then(|| flex::conv(conv, &x, None, false))
        .flatten()
        .unwrap_or_else(|| conv.forward(x));
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

/// `relu?(linear(x))` through the engine where it applies (see [`conv_fused`]), Burn's
/// otherwise.
pub fn linear(layer: &Linear, x: Tensor<2>, act_relu: bool) -> Tensor<2> {
    if enabled()
        && let Some(y) = flex::linear(layer, &x, act_relu)
    {
        return y;
    }
    let y = layer.forward(x);
    if act_relu { relu(y) } else { y }
}

/// Max pooling through the engine where it applies (see [`conv_fused`]), Burn's otherwise.
pub fn max_pool(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let (k, st, ceil) = (pool.kernel_size, pool.stride, pool.ceil_mode);
    (enabled() && pool.dilation == [1, 1])
        .then(|| pool_shape(k, st, &pool.padding, ceil, &x))
        .flatten()
        .and_then(|s| flex::pool(&s, &x, None))
        .unwrap_or_else(|| pool.forward(x))
}

/// Average pooling through the engine where it applies, Burn's otherwise.
pub fn avg_pool(pool: &AvgPool2d, x: Tensor<4>) -> Tensor<4> {
    let (k, st, ceil) = (pool.kernel_size, pool.stride, pool.ceil_mode);
    enabled()
        .then(|| pool_shape(k, st, &pool.padding, ceil, &x))
        .flatten()
        .and_then(|s| flex::pool(&s, &x, Some(pool.count_include_pad)))
        .unwrap_or_else(|| pool.forward(x))
}

fn explicit(padding: &PaddingConfig2d) -> Option<[usize; 4]> {
    match *padding {
        PaddingConfig2d::Explicit(t, l, b, r) => Some([t, l, b, r]),
        PaddingConfig2d::Valid => Some([0; 4]),
        PaddingConfig2d::Same => None,
    }
}

fn pool_shape(
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: &PaddingConfig2d,
    ceil_mode: bool,
    x: &Tensor<4>,
) -> Option<Pool2dShape> {
    let [batch, channels, h, w] = x.dims();
    Some(Pool2dShape {
        batch,
        channels,
        h,
        w,
        kh: kernel[0],
        kw: kernel[1],
        stride,
        padding: explicit(padding)?,
        ceil_mode,
    })
}

/// The engine's description of `conv` applied to `x`; `None` for `Same` padding, which the
/// zoo never uses.
pub fn shape(conv: &Conv2d, x: &Tensor<4>) -> Option<Conv2dShape> {
    let [batch, c_in, h, w] = x.dims();
    let [c_out, _, kh, kw] = conv.weight.dims();
    let padding = explicit(&conv.padding)?;
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
    use std::sync::{Arc, Mutex};
    use zoo_kernels::{
        Conv2dShape, Fused, Pool2dShape, Prepared, avg_pool2d, conv2d_prepared, max_pool2d,
    };

    /// Weights prepared for the engine (Winograd's transformed filters), each beside a handle
    /// on the weight tensor it was made from. The handle keeps that tensor's storage shared,
    /// so flex copies rather than mutates it in place and an entry can never go stale; an
    /// entry whose handle is the last one (the model is gone) is dropped at the next look-up.
    struct Entry {
        weight: FlexTensor,
        prepared: Arc<Prepared>,
    }

    static PREPARED: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

    fn prepared(shape: &Conv2dShape, weight: &FlexTensor) -> Option<Arc<Prepared>> {
        // Most convolutions have nothing to prepare: no lock, no look-up for them.
        if !Prepared::wanted(shape) {
            return None;
        }
        let mut cache = PREPARED.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|e| !e.weight.is_unique());
        let same = |e: &&Entry| {
            Arc::ptr_eq(&e.weight.data_arc(), &weight.data_arc())
                && e.weight.layout() == weight.layout()
        };
        if let Some(e) = cache.iter().find(same) {
            return Some(e.prepared.clone());
        }
        let p = Arc::new(Prepared::new(shape, values(weight)).ok()?);
        cache.push(Entry {
            weight: weight.clone(),
            prepared: p.clone(),
        });
        Some(p)
    }

    /// Drops every prepared weight (they are also dropped once their model is).
    pub(super) fn clear_prepared() {
        PREPARED.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    use super::{Conv2d, shape};

    /// The flex primitive of `t` if it is a contiguous f32 flex tensor outside autodiff.
    fn primitive<const D: usize>(t: &Tensor<D>) -> Option<FlexTensor> {
        let p = t.clone().try_into_primitive::<Flex>().ok()?;
        (p.dtype() == DType::F32 && p.layout().contiguous_offsets().is_some()).then_some(p)
    }

    /// A layer's optional bias as a primitive: `None` when the layer has none, `Some(None)`
    /// when it has one the engine cannot read.
    fn bias(b: &Option<burn::module::Param<Tensor<1>>>) -> Option<Option<FlexTensor>> {
        match b {
            Some(b) => primitive(&b.val()).map(Some),
            None => Some(None),
        }
    }

    /// The engine's output as a tensor on the flex device.
    fn tensor<const D: usize>(out: Vec<f32>, shape: [usize; D]) -> Tensor<D> {
        Tensor::from_primitive::<Flex>(FlexTensor::from_data(TensorData::new(out, shape)))
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
        let shape = shape(conv, x)?;
        let Conv2dShape { batch, c_out, .. } = shape;
        let input = primitive(x)?;
        let weight = primitive(&conv.weight.val())?;
        let bias = bias(&conv.bias)?;
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
        let prep = prepared(&shape, &weight);
        let (x, w) = (values(&input), values(&weight));
        conv2d_prepared(&shape, x, w, prep.as_deref(), fused, &mut out).ok()?;
        Some(tensor(out, [batch, c_out, ho, wo]))
    }

    /// The engine's fully connected layer, or `None` where it does not apply.
    pub(super) fn linear(layer: &super::Linear, x: &Tensor<2>, relu: bool) -> Option<Tensor<2>> {
        let [n, d_in] = x.dims();
        let [w_in, d_out] = layer.weight.dims();
        if w_in != d_in {
            return None; // Burn reports the mismatch
        }
        let input = primitive(x)?;
        let weight = primitive(&layer.weight.val())?;
        let bias = bias(&layer.bias)?;
        let mut out = vec![0f32; n * d_out];
        let (x, w, b) = (values(&input), values(&weight), bias.as_ref().map(values));
        zoo_kernels::linear(n, d_in, d_out, x, w, b, relu, &mut out).ok()?;
        Some(tensor(out, [n, d_out]))
    }

    /// Max pooling (`avg: None`) or average pooling with `count_include_pad`.
    pub(super) fn pool(s: &Pool2dShape, x: &Tensor<4>, avg: Option<bool>) -> Option<Tensor<4>> {
        let input = primitive(x)?;
        let [ho, wo] = s.out_hw();
        let mut out = vec![0f32; s.lens()[1]];
        match avg {
            None => max_pool2d(s, values(&input), &mut out),
            Some(include) => avg_pool2d(s, values(&input), include, &mut out),
        }
        .ok()?;
        Some(tensor(out, [s.batch, s.channels, ho, wo]))
    }
}

#[cfg(not(feature = "flex"))]
mod flex {
    use super::{Conv2d, Pool2dShape, Tensor};

    pub(super) fn pool(_: &Pool2dShape, _: &Tensor<4>, _: Option<bool>) -> Option<Tensor<4>> {
        None
    }

    pub(super) fn clear_prepared() {}

    pub(super) fn linear(_: &super::Linear, _: &Tensor<2>, _: bool) -> Option<Tensor<2>> {
        None
    }

    pub(super) fn conv(
        _: &Conv2d,
        _: &Tensor<4>,
        _: Option<&Tensor<4>>,
        _: bool,
    ) -> Option<Tensor<4>> {
        None
    }
}

#[cfg(all(test, feature = "flex"))]
mod tests {
    //! The engine against Burn's own ops on random shapes (the kernels crate checks it against
    //! the textbook definitions; this checks the bridge: layouts, padding, bias, fusion).
    use super::*;
    use crate::conv::ConvSpec;
    use burn::nn::pool::{AvgPool2dConfig, MaxPool2dConfig};
    use burn::tensor::{Device, Distribution};

    /// A small deterministic generator: the tests need shapes, not statistics.
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    fn values(t: Tensor<4>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    fn assert_close(ours: &[f32], burn: &[f32], tol: f32, what: &str) {
        assert_eq!(ours.len(), burn.len(), "{what}");
        for (i, (a, b)) in ours.iter().zip(burn).enumerate() {
            assert!(
                (a - b).abs() <= tol * b.abs().max(1.0),
                "{what}: [{i}] engine {a}, Burn {b}"
            );
        }
    }

    #[test]
    fn convolutions_match_burn_on_random_shapes() {
        let device = Device::default();
        let mut rng = Lcg(42);
        for case in 0..60 {
            let k = [1, 1, 3, 3, 5, 7, 11][rng.below(7)];
            let groups = [1, 1, 2, 4][rng.below(4)];
            let c_in = groups * (1 + rng.below(9));
            let c_out = groups * (8 + rng.below(20));
            let (stride, padding) = (1 + rng.below(4), rng.below(k / 2 + 2));
            let (h, w) = (k + rng.below(20), k + rng.below(20));
            let conv = ConvSpec::new(c_in, c_out, k)
                .stride(stride)
                .padding(padding)
                .groups(groups)
                .bias(rng.below(2) == 0)
                .init(crate::ConvInit::Default)
                .build(&device);
            let x = Tensor::<4>::random(
                [1 + rng.below(5), c_in, h, w],
                Distribution::Default,
                &device,
            );
            let y = conv.forward(x.clone());
            let residual = (rng.below(2) == 0).then(|| y.random_like(Distribution::Default));
            let relu = rng.below(2) == 0;
            let what = format!("case {case}: {:?}", shape(&conv, &x));
            let ours = flex::conv(&conv, &x, residual.as_ref(), relu).expect(&what);
            let burn = residual.map_or(y.clone(), |r| y + r);
            let burn = if relu {
                burn::tensor::activation::relu(burn)
            } else {
                burn
            };
            assert_close(&values(ours), &values(burn), 1e-5, &what);
        }
    }

    #[test]
    fn pooling_matches_burn_on_random_shapes() {
        let device = Device::default();
        let mut rng = Lcg(7);
        for case in 0..60 {
            let k = 1 + rng.below(5);
            let (stride, padding, ceil) =
                (1 + rng.below(3), rng.below(k / 2 + 1), rng.below(2) == 0);
            let x = Tensor::<4>::random(
                [
                    1 + rng.below(3),
                    1 + rng.below(20),
                    k + rng.below(15),
                    k + rng.below(15),
                ],
                Distribution::Default,
                &device,
            );
            let p = PaddingConfig2d::Explicit(padding, padding, padding, padding);
            let max = MaxPool2dConfig::new([k, k])
                .with_strides([stride, stride])
                .with_padding(p.clone())
                .with_ceil_mode(ceil)
                .init();
            let what = format!("max case {case}: {:?}", x.dims());
            let shape = pool_shape([k, k], [stride, stride], &max.padding, ceil, &x).unwrap();
            let ours = flex::pool(&shape, &x, None).expect(&what);
            assert_close(&values(ours), &values(max.forward(x.clone())), 0.0, &what);
            let avg = AvgPool2dConfig::new([k, k])
                .with_strides([stride, stride])
                .with_padding(p)
                .with_ceil_mode(ceil)
                .with_count_include_pad(rng.below(2) == 0)
                .init();
            let what = format!("avg case {case}: {:?}", x.dims());
            let ours = flex::pool(&shape, &x, Some(avg.count_include_pad)).expect(&what);
            assert_close(&values(ours), &values(avg.forward(x.clone())), 1e-5, &what);
        }
    }

    #[test]
    fn linear_layers_match_burn() {
        use burn::nn::LinearConfig;
        use burn::tensor::Tensor as T;
        let device = Device::default();
        for (n, d_in, d_out, bias) in [(1, 300, 70, true), (2, 9, 33, false), (7, 600, 45, true)] {
            let layer = LinearConfig::new(d_in, d_out).with_bias(bias).init(&device);
            let x = T::<2>::random([n, d_in], Distribution::Default, &device);
            for relu in [false, true] {
                let what = format!("[{n}, {d_in}] → {d_out}, relu {relu}");
                let ours = flex::linear(&layer, &x, relu).expect(&what);
                let burn = layer.forward(x.clone());
                let burn = if relu {
                    burn::tensor::activation::relu(burn)
                } else {
                    burn
                };
                let (a, b) = (ours.into_data(), burn.into_data());
                let (a, b) = (
                    a.try_to_vec::<f32>().unwrap(),
                    b.try_to_vec::<f32>().unwrap(),
                );
                assert_close(&a, &b, 1e-5, &what);
            }
        }
    }
}
