//! Fine-tuning any zoo model through the object-safe trait: the head as a parameter group,
//! and learning rates per group (a smaller rate for the pretrained backbone than for the new
//! head, the usual recipe). Modes, freezing and optimizer steps are [`ModelObject`] methods.
//!
//! [`ModelObject`]: crate::ModelObject

use burn::module::ParamGroup;
use burn::optim::lr_scheduler::module_lr_scheduler::{ModuleLearningRate, ModuleLrScheduler};

use crate::{Classifier, Head};

/// The head's parameters (the output layer [`Classifier::reset_classifier`] replaces).
pub fn head_group(model: &dyn Classifier) -> ParamGroup {
    match model.head() {
        Head::Linear(l) => ParamGroup::ids_from_module(l.clone()),
        Head::Conv(c) => ParamGroup::ids_from_module(c.clone()),
    }
}

/// `head` for the head's parameters, `backbone` for every other one.
pub fn learning_rates(model: &dyn Classifier, backbone: f64, head: f64) -> ModuleLearningRate {
    ModuleLrScheduler::new(backbone)
        .with_group(head_group(model), head)
        .step()
}
