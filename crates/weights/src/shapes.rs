//! The names and shapes a model expects, read without initialising it.
//!
//! `ModuleSnapshot::collect` reads every parameter's value, which makes a freshly built model
//! draw all its random initial weights only to have them replaced: for ResNet-50 that was 80 %
//! of loading a burnpack file. Validation needs names and shapes only, which a lazily
//! initialised `Param` knows without materialising.

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Bool, Int, Tensor};
use burn_store::burn_pack::{DType, Error as PackError, Tensor as PackTensor};
use burn_store::{ModuleAdapter, ModuleContext};

/// The tensors `model` expects, named and shaped as `collect` would give them (after `adapter`),
/// with data that is never read.
pub(crate) fn expected<M: Module>(
    model: &M,
    adapter: Option<Box<dyn ModuleAdapter>>,
    skip_enum_variants: bool,
) -> Vec<PackTensor> {
    let mut visitor = Shapes {
        adapter,
        skip_enum_variants,
        path: Vec::new(),
        containers: Vec::new(),
        tensors: Vec::new(),
    };
    model.visit(&mut visitor);
    visitor.tensors
}

struct Shapes {
    adapter: Option<Box<dyn ModuleAdapter>>,
    skip_enum_variants: bool,
    path: Vec<String>,
    containers: Vec<String>,
    tensors: Vec<PackTensor>,
}

impl Shapes {
    fn push(&mut self, shape: burn::tensor::Shape, dtype: DType) {
        let byte_len = shape.num_elements() * dtype.size();
        let tensor =
            PackTensor::deferred(self.path.join("."), dtype, shape, None, byte_len, || {
                Err(PackError::ValidationError(
                    "a model's expected shapes carry no data".into(),
                ))
            });
        let tensor = match &self.adapter {
            Some(adapter) => adapter.adapt(tensor, ModuleContext::new(&self.containers)),
            None => tensor,
        };
        self.tensors.push(tensor);
    }
}

impl ModuleVisitor for Shapes {
    fn enter_module(&mut self, name: &str, container_type: &str) {
        self.containers.push(container_type.to_string());
        if !self.skip_enum_variants || !container_type.starts_with("Enum:") {
            self.path.push(name.to_string());
        }
    }

    fn exit_module(&mut self, _name: &str, container_type: &str) {
        self.containers.pop();
        if !self.skip_enum_variants || !container_type.starts_with("Enum:") {
            self.path.pop();
        }
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.push(param.lazy_shape(), DType::F32);
    }

    fn visit_int<const D: usize>(&mut self, param: &Param<Tensor<D, Int>>) {
        self.push(param.lazy_shape(), DType::I64);
    }

    fn visit_bool<const D: usize>(&mut self, param: &Param<Tensor<D, Bool>>) {
        self.push(
            param.lazy_shape(),
            DType::Bool(burn::tensor::BoolStore::Native),
        );
    }
}
