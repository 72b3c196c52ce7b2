//! One adapter per source format.

pub mod x12;
