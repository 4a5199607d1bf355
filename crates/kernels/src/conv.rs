//! The convolution driver: each (image, group) is the product `out[M×P] = W[M×K] · B[K×P]`
//! (M output channels, K = input channels × taps, P output pixels), computed tile by tile
//! with the epilogue fused into the store. Work is split over images, groups, blocks of
//! pixels and, when that leaves a core idle (batch 1, small late-stage maps), blocks of
//! output channels, so that batch 1 keeps every core busy.

use std::cell::RefCell;

use rayon::prelude::*;

use crate::gemm::{self, Epilogue, MR_MAX, NR, Operands};
use crate::pack::pack;

/// Steps of K per pass: a 256 × 32 panel of B (32 KiB) stays in L1 across a block's rows.
const KC: usize = 256;
/// Pixels per packed block (8 panels): 256 KiB of B at most, in L2 beside the weights.
const NC: usize = 8 * NR;

/// A 2-D convolution's geometry as PyTorch's `conv2d` takes it: input `[batch, c_in, h, w]`,
/// weight `[c_out, c_in / groups, kh, kw]`, both contiguous (NCHW / OIHW), output
/// `[batch, c_out, ho, wo]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Conv2dShape {
    /// Images in the batch.
    pub batch: usize,
    /// Input channels.
    pub c_in: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub c_out: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Vertical and horizontal stride.
    pub stride: [usize; 2],
    /// Top, left, bottom, right (Burn's `PaddingConfig2d::Explicit` order).
    pub padding: [usize; 4],
    /// Vertical and horizontal dilation.
    pub dilation: [usize; 2],
    /// Channel groups; must divide `c_in` and `c_out`.
    pub groups: usize,
}

/// What the convolution's store adds: `relu(conv + bias + residual)`, each part optional.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fused<'a> {
    /// One value per output channel.
    pub bias: Option<&'a [f32]>,
    /// A tensor of the output's shape added before the activation (a residual shortcut).
    pub residual: Option<&'a [f32]>,
    /// Clamp negatives to zero last (NaN kept, as PyTorch's `relu`).
    pub relu: bool,
}

/// A convolution the engine was asked for but cannot compute as described.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConvError {
    /// A slice's length does not match the shape.
    #[error("conv2d: {what} holds {found} values, the shape {shape:?} needs {expected}")]
    Length {
        /// Which slice (`the input`, `the weight`, …).
        what: &'static str,
        /// The length the shape implies.
        expected: usize,
        /// The slice's length.
        found: usize,
        /// The shape asked for.
        shape: Box<Conv2dShape>,
    },
    /// The shape itself is impossible (a zero stride, a kernel larger than the padded input, …):
    /// what is wrong, and the shape.
    #[error("conv2d: {0} (shape {1:?})")]
    Geometry(&'static str, Box<Conv2dShape>),
}

impl Conv2dShape {
    /// Output height and width (PyTorch's formula, floor mode).
    pub fn out_hw(&self) -> [usize; 2] {
        let out = |size: usize, pad: usize, k: usize, s: usize, d: usize| {
            (size + pad).saturating_sub(d * (k - 1) + 1) / s + 1
        };
        [
            out(
                self.h,
                self.padding[0] + self.padding[2],
                self.kh,
                self.stride[0],
                self.dilation[0],
            ),
            out(
                self.w,
                self.padding[1] + self.padding[3],
                self.kw,
                self.stride[1],
                self.dilation[1],
            ),
        ]
    }

    /// Values in the input, weight and output tensors.
    pub fn lens(&self) -> [usize; 3] {
        let [ho, wo] = self.out_hw();
        [
            self.batch * self.c_in * self.h * self.w,
            self.c_out * (self.c_in / self.groups.max(1)) * self.kh * self.kw,
            self.batch * self.c_out * ho * wo,
        ]
    }

    /// A 1×1 stride-1 convolution without padding: its patch matrix is the input itself.
    fn reads_in_place(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.stride == [1, 1] && self.padding == [0; 4]
    }

    /// Rows of the implicit patch matrix: input channels per group × kernel taps.
    fn k(&self) -> usize {
        (self.c_in / self.groups) * self.kh * self.kw
    }

    /// Multiply-adds of one call.
    pub fn macs(&self) -> usize {
        self.lens()[2] * (self.c_in / self.groups.max(1)) * self.kh * self.kw
    }

    fn check(&self) -> Result<(), ConvError> {
        let bad = |why| Err(ConvError::Geometry(why, Box::new(*self)));
        if self.groups == 0
            || !self.c_in.is_multiple_of(self.groups)
            || !self.c_out.is_multiple_of(self.groups)
        {
            return bad("groups must divide the input and output channels");
        }
        if self.kh == 0 || self.kw == 0 || self.stride.contains(&0) || self.dilation.contains(&0) {
            return bad("kernel, stride and dilation must be positive");
        }
        let span_h = self.dilation[0] * (self.kh - 1) + 1;
        let span_w = self.dilation[1] * (self.kw - 1) + 1;
        if self.h + self.padding[0] + self.padding[2] < span_h
            || self.w + self.padding[1] + self.padding[3] < span_w
        {
            return bad("the kernel is larger than the padded input");
        }
        Ok(())
    }
}

/// Weights prepared once for repeated convolutions of one geometry: where Winograd applies,
/// its transformed filters (16/9 of the weights' size), which otherwise are recomputed on
/// every call.
#[derive(Debug, Clone)]
pub struct Prepared {
    shape: Conv2dShape,
    winograd: Option<Vec<f32>>,
}

impl Prepared {
    /// Prepares `weight` for convolutions of shape `s` (any batch size).
    pub fn new(s: &Conv2dShape, weight: &[f32]) -> Result<Self, ConvError> {
        s.check()?;
        if weight.len() != s.lens()[1] {
            return Err(ConvError::Length {
                what: "the weight",
                expected: s.lens()[1],
                found: weight.len(),
                shape: Box::new(*s),
            });
        }
        let winograd = Self::wanted(s).then(|| crate::winograd::filters(s, weight));
        Ok(Self {
            shape: Conv2dShape { batch: 1, ..*s },
            winograd,
        })
    }

    /// Whether convolutions of shape `s` have anything to prepare (Winograd is on and suits
    /// the shape): a caller can skip [`Prepared::new`] and its cache where they do not.
    pub fn wanted(s: &Conv2dShape) -> bool {
        crate::winograd() && crate::winograd::applies(s)
    }
}

/// `out = relu?(conv2d(input, weight) + bias + residual)`, NCHW, written in full.
pub fn conv2d(
    s: &Conv2dShape,
    input: &[f32],
    weight: &[f32],
    fused: Fused<'_>,
    out: &mut [f32],
) -> Result<(), ConvError> {
    conv2d_prepared(s, input, weight, None, fused, out)
}

/// [`conv2d`] with weights [`Prepared`] for this geometry (ignored if prepared for another).
pub fn conv2d_prepared(
    s: &Conv2dShape,
    input: &[f32],
    weight: &[f32],
    prepared: Option<&Prepared>,
    fused: Fused<'_>,
    out: &mut [f32],
) -> Result<(), ConvError> {
    s.check()?;
    let [n_in, n_w, n_out] = s.lens();
    let c_out = s.c_out;
    let want = [
        ("the input", n_in, input.len()),
        ("the weight", n_w, weight.len()),
        ("the output", n_out, out.len()),
        ("the bias", c_out, fused.bias.map_or(c_out, <[f32]>::len)),
        (
            "the residual",
            n_out,
            fused.residual.map_or(n_out, <[f32]>::len),
        ),
    ];
    for (what, expected, found) in want {
        if expected != found {
            return Err(ConvError::Length {
                what,
                expected,
                found,
                shape: Box::new(*s),
            });
        }
    }
    if n_out == 0 {
        return Ok(());
    }
    if crate::depthwise::applies(s) {
        crate::depthwise::conv2d(s, input, weight, fused, out);
        return Ok(());
    }
    if Prepared::wanted(s) {
        let u = prepared
            .filter(|p| p.shape == Conv2dShape { batch: 1, ..*s })
            .and_then(|p| p.winograd.as_deref());
        crate::winograd::conv2d(s, input, weight, u, fused, out);
        return Ok(());
    }
    let plan = Plan::new(s);
    let out = SendPtr(out.as_mut_ptr());
    let serial = !crate::parallel(s.macs());
    let for_each = |tasks: Vec<Task>, src: Source<'_>| {
        crate::for_each(!serial, tasks.len(), |i| {
            // SAFETY: tasks write disjoint (image, channel range, pixel range) regions of `out`.
            unsafe { task(s, input, weight, fused, out, &tasks[i], src) }
        });
    };
    if plan.direct || plan.m_step >= s.c_out / s.groups {
        for_each(plan.tasks(s, 0..s.batch, 0..s.groups), Source::PerTask);
        return Ok(());
    }
    // Output channels are split, so several tasks read the same pixels: pack them once per
    // (image, group), in parallel over K, and share the panels.
    let (cig, k_total) = (s.c_in / s.groups, s.k());
    let p_pad = plan.pixels.div_ceil(NR) * NR;
    let mut packed = vec![0f32; k_total * p_pad];
    for image in 0..s.batch {
        for group in 0..s.groups {
            let x = &input[(image * s.c_in + group * cig) * s.h * s.w..][..cig * s.h * s.w];
            let blocks: Vec<(usize, &mut [f32])> =
                packed.chunks_mut(KC * p_pad).enumerate().collect();
            let pack_block = |(i, block): (usize, &mut [f32])| {
                let k0 = i * KC;
                pack(s, x, (0, plan.pixels), (k0, KC.min(k_total - k0)), block);
            };
            if serial {
                blocks.into_iter().for_each(pack_block);
            } else {
                blocks.into_par_iter().for_each(pack_block);
            }
            for_each(
                plan.tasks(s, image..image + 1, group..group + 1),
                Source::Shared(&packed, p_pad),
            );
        }
    }
    Ok(())
}

/// An output pointer handed to the pool's threads, each writing its own part.
#[derive(Clone, Copy)]
pub(crate) struct SendPtr(pub(crate) *mut f32);

impl SendPtr {
    /// `self + offset` (a method, so closures capture the `Sync` wrapper, not the pointer).
    ///
    /// # Safety
    /// As `pointer::add`.
    pub(crate) unsafe fn add(self, offset: usize) -> *mut f32 {
        // SAFETY: the caller's.
        unsafe { self.0.add(offset) }
    }
}
// SAFETY: only used to hand disjoint output regions to the pool's threads.
unsafe impl Send for SendPtr {}
// SAFETY: as above.
unsafe impl Sync for SendPtr {}

/// Where a task's pixel panels come from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// Packed by the task itself into its thread's buffer (1×1 convolutions read the input
    /// in place instead, packing only a partial last panel).
    PerTask,
    /// Packed for the whole image beforehand: K blocks of `KC` rows, each `p_pad` pixels wide
    /// as panels of `NR`.
    Shared(&'a [f32], usize),
}

/// One unit of parallel work: an image's group, a range of its output channels (relative to
/// the group) and a range of output pixels.
struct Task {
    image: usize,
    group: usize,
    m: (usize, usize),
    p: (usize, usize),
}

/// How a convolution is cut into tasks.
struct Plan {
    pixels: usize,
    /// Pixels per task, a multiple of NR.
    p_step: usize,
    /// Output channels per task, a multiple of the kernel's rows.
    m_step: usize,
    direct: bool,
}

impl Plan {
    fn new(s: &Conv2dShape) -> Self {
        let [ho, wo] = s.out_hw();
        let pixels = ho * wo;
        let m_total = s.c_out / s.groups;
        let mr = gemm::mr();
        let panels = pixels.div_ceil(NR);
        let per_image = s.batch * s.groups;
        // Enough tasks to balance the pool: first by pixels (blocks of up to NC), then by
        // output channels when pixels alone do not give them (batch 1, late stages).
        let want = 4 * rayon::current_num_threads();
        let p_panels = (panels * per_image).div_ceil(want).clamp(1, NC / NR);
        let outer = per_image * panels.div_ceil(p_panels);
        let m_chunks = if outer >= want {
            1
        } else {
            want.div_ceil(outer).min(m_total.div_ceil(4 * mr)).max(1)
        };
        Plan {
            pixels,
            p_step: p_panels * NR,
            m_step: m_total.div_ceil(m_chunks).div_ceil(mr) * mr,
            direct: s.reads_in_place(),
        }
    }

    fn tasks(
        &self,
        s: &Conv2dShape,
        images: std::ops::Range<usize>,
        groups: std::ops::Range<usize>,
    ) -> Vec<Task> {
        let m_total = s.c_out / s.groups;
        let mut tasks = Vec::new();
        for image in images {
            for group in groups.clone() {
                for m0 in (0..m_total).step_by(self.m_step.max(1)) {
                    for p0 in (0..self.pixels).step_by(self.p_step) {
                        tasks.push(Task {
                            image,
                            group,
                            m: (m0, (m0 + self.m_step).min(m_total)),
                            p: (p0, (p0 + self.p_step).min(self.pixels)),
                        });
                    }
                }
            }
        }
        tasks
    }
}

thread_local! {
    /// Each thread's packing buffer, reused across calls.
    static PACKED: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// # Safety
/// `out` must be the output of `s`, and no other task may write `t`'s region.
unsafe fn task(
    s: &Conv2dShape,
    input: &[f32],
    weight: &[f32],
    fused: Fused<'_>,
    out: SendPtr,
    t: &Task,
    src: Source<'_>,
) {
    let [ho, wo] = s.out_hw();
    let pixels = ho * wo;
    let (cig, cog) = (s.c_in / s.groups, s.c_out / s.groups);
    let k_total = s.k();
    let plane = s.h * s.w;
    let mr = gemm::mr();
    let direct = s.reads_in_place();
    let x = &input[(t.image * s.c_in + t.group * cig) * plane..][..cig * plane];
    let w = &weight[t.group * cog * k_total..][..cog * k_total];
    let ch0 = t.group * cog; // first output channel of the group
    let out_at = |m: usize, p: usize| (t.image * s.c_out + ch0 + m) * pixels + p;
    PACKED.with_borrow_mut(|buf| {
        let buf = crate::scratch(buf, KC * NC);
        for k0 in (0..k_total).step_by(KC) {
            let kc = KC.min(k_total - k0);
            let last = k0 + kc == k_total;
            if !direct && matches!(src, Source::PerTask) {
                pack(s, x, t.p, (k0, kc), buf);
            }
            for (strip, p) in (t.p.0..t.p.1).step_by(NR).enumerate() {
                let cols = NR.min(t.p.1 - p);
                let (b, ldb) = match src {
                    Source::Shared(packed, p_pad) => {
                        (packed[k0 * p_pad + (p / NR) * kc * NR..].as_ptr(), NR)
                    }
                    Source::PerTask if direct && cols == NR => {
                        (x[k0 * plane + p..].as_ptr(), plane)
                    }
                    Source::PerTask if direct => {
                        pack(s, x, (p, p + cols), (k0, kc), buf);
                        (buf.as_ptr(), NR)
                    }
                    Source::PerTask => (buf[strip * kc * NR..].as_ptr(), NR),
                };
                for m in (t.m.0..t.m.1).step_by(mr) {
                    let rows = mr.min(t.m.1 - m);
                    let op = Operands {
                        kc,
                        a: w[m * k_total + k0..].as_ptr(),
                        lda: k_total,
                        b,
                        ldb,
                        // SAFETY: inside `out` (m < cog, p < pixels).
                        c: unsafe { out.0.add(out_at(m, p)) },
                        ldc: pixels,
                        accumulate: k0 > 0,
                    };
                    let epi = if last {
                        Epilogue {
                            bias: fused
                                .bias
                                .map_or(std::ptr::null(), |b| b[ch0 + m..].as_ptr()),
                            res: fused
                                .residual
                                .map_or(std::ptr::null(), |r| r[out_at(m, p)..].as_ptr()),
                            relu: fused.relu,
                        }
                    } else {
                        Epilogue::NONE
                    };
                    // SAFETY: A covers `rows` rows of `kc` from `k0`, B `kc` rows of NR
                    // columns, C `rows` rows of `cols` columns (edge tiles go through a copy).
                    unsafe {
                        if cols == NR {
                            gemm::tile(rows, &op, &epi);
                        } else {
                            edge(rows, cols, &op, &epi);
                        }
                    }
                }
            }
        }
    });
}

/// A tile with fewer than NR valid columns: computed into a full-width scratch tile, then
/// its valid columns copied out.
///
/// # Safety
/// As [`gemm::tile`], with C (and the residual) valid only for `cols` columns.
pub(crate) unsafe fn edge(rows: usize, cols: usize, op: &Operands, epi: &Epilogue) {
    let mut tmp = [0f32; MR_MAX * NR];
    // SAFETY: the caller vouches for `rows` × `cols` of C and of the residual.
    unsafe {
        if op.accumulate {
            for i in 0..rows {
                std::ptr::copy_nonoverlapping(
                    op.c.add(i * op.ldc),
                    tmp[i * NR..].as_mut_ptr(),
                    cols,
                );
            }
        }
        let mut res = [0f32; MR_MAX * NR];
        if !epi.res.is_null() {
            for i in 0..rows {
                std::ptr::copy_nonoverlapping(
                    epi.res.add(i * op.ldc),
                    res[i * NR..].as_mut_ptr(),
                    cols,
                );
            }
        }
        let scratch = Operands {
            c: tmp.as_mut_ptr(),
            ldc: NR,
            ..*op
        };
        let epi = Epilogue {
            res: if epi.res.is_null() {
                epi.res
            } else {
                res.as_ptr()
            },
            ..*epi
        };
        gemm::tile(rows, &scratch, &epi);
        for i in 0..rows {
            std::ptr::copy_nonoverlapping(tmp[i * NR..].as_ptr(), op.c.add(i * op.ldc), cols);
        }
    }
}
