//! The walking skeleton's hand-built NPS study and the small model it runs on.
//!
//! The desktop app still runs interviews on this model; the next step moves it
//! onto the engine (`Instance` over an imported form) and retires this module.

mod error;
mod model;
mod nps;

pub use error::{Error, Result};
pub use model::{Answers, Choice, Condition, Item, ItemKind, LabelVariant, Questionnaire};
pub use nps::{demo_nps, DEMO_NPS_ID};
