//! The warehouse: Milepost sends it release instructions, cancellations and amendments, either
//! over HTTP in the versioned contract `docs/wms-release.md` (`release`) or as X12 940 files in
//! a drop folder (`x12_940`).

pub mod release;
pub mod x12_940;
