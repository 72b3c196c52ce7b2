//! Stand-ins for the systems Milepost talks to, used by the tests and by `milepost demo --live`:
//! an Odoo 19 (`odoo`) built from the recorded server's answers, a warehouse (`wms`) that takes
//! release instructions and answers with the fulfillment story, and a carrier (`carrier`) that
//! reports the parcel's way to the door.

pub mod carrier;
pub mod live;
pub mod mail;
pub mod odoo;
pub mod wms;
