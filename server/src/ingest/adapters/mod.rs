//! One adapter per source format.

pub mod canonical;
pub mod x12;
