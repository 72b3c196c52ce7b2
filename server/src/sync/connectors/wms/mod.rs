//! The warehouse: Milepost sends it release instructions (`release`), in the versioned contract
//! `docs/wms-release.md`, and cancellations and amendments of them.

pub mod release;
