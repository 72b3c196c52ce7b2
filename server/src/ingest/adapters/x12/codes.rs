//! X12 004010 code tables: AT701 shipment status (element 1650), AT702 status reason (1651) and
//! W1201 line status (368). Each table lists the standard's codes with what Milepost makes of them;
//! a code not listed is reported to the mapping inbox.

use app::domain::event::EventType;

use EventType as T;

/// AT701: the canonical type of a status, or `None` for statuses that carry no milestone
/// (appointments, equipment moves, paperwork).
pub const AT701: &[(&str, &str, Option<EventType>)] = &[
    (
        "A3",
        "Shipment Returned to Shipper",
        Some(T::ShipmentReturnedToSender),
    ),
    ("A7", "Refused by Consignee", Some(T::ShipmentException)),
    ("A9", "Shipment Damaged", Some(T::ShipmentException)),
    ("AA", "Pick-up Appointment Date and/or Time", None),
    ("AB", "Delivery Appointment Requested", None),
    (
        "AD",
        "Delivery Appointment Date and/or Time",
        Some(T::ShipmentEtaUpdated),
    ),
    (
        "AF",
        "Carrier Departed Pick-up Location with Shipment",
        Some(T::ShipmentPickedUp),
    ),
    ("AG", "Estimated Delivery", Some(T::ShipmentEtaUpdated)),
    (
        "AH",
        "Attempted Delivery",
        Some(T::ShipmentDeliveryAttempted),
    ),
    (
        "AI",
        "Shipment has been Reconsigned",
        Some(T::ShipmentInTransit),
    ),
    (
        "AJ",
        "Tendered for Delivery",
        Some(T::ShipmentOutForDelivery),
    ),
    ("AM", "Loaded on Truck", Some(T::ShipmentInTransit)),
    ("AN", "Diverted to Air Carrier", Some(T::ShipmentInTransit)),
    (
        "AP",
        "Delivery Not Completed",
        Some(T::ShipmentDeliveryAttempted),
    ),
    (
        "AR",
        "Rail Arrival at Destination Intermodal Ramp",
        Some(T::ShipmentInTransit),
    ),
    (
        "AV",
        "Available for Delivery",
        Some(T::ShipmentOutForDelivery),
    ),
    (
        "AW",
        "Shipment Available for Pick-up",
        Some(T::ShipmentAvailableForPickup),
    ),
    (
        "B6",
        "Estimated to Arrive at Carrier Terminal",
        Some(T::ShipmentEtaUpdated),
    ),
    (
        "BA",
        "Connecting Line or Cartage Pick-up",
        Some(T::ShipmentInTransit),
    ),
    ("BC", "Storage in Transit", Some(T::ShipmentDelayed)),
    (
        "BO",
        "Shipment Conveyance Reported Bad Order",
        Some(T::ShipmentDelayed),
    ),
    (
        "BR",
        "Shipment Conveyance Released From Bad Order",
        Some(T::ShipmentInTransit),
    ),
    (
        "C1",
        "Estimated to Depart Terminal Location",
        Some(T::ShipmentEtaUpdated),
    ),
    ("CA", "Shipment Cancelled", Some(T::ShipmentException)),
    // From 004030 on: "the final part of a partial shipment was delivered to the customer".
    ("CB", "Completed Shipment", Some(T::ShipmentDelivered)),
    ("CD", "Carrier Departed Delivery Location", None),
    ("CL", "Trailer Closed Out", None),
    (
        "CP",
        "Completed Loading at Pick-up Location",
        Some(T::ShipmentPickedUp),
    ),
    (
        "D1",
        "Completed Unloading at Delivery Location",
        Some(T::ShipmentDelivered),
    ),
    ("DE", "Last Free Day without Demurrage for Shipment", None),
    ("DO", "Shipment Delivery Order Received", None),
    ("I1", "In-Gate", Some(T::ShipmentInTransit)),
    (
        "J1",
        "Delivered to Connecting Line",
        Some(T::ShipmentInTransit),
    ),
    ("K1", "Arrived at Customs", Some(T::ShipmentInTransit)),
    ("L1", "Loading", None),
    ("NB", "Shipment Conveyance Received Without Paperwork", None),
    ("OA", "Out-Gate", Some(T::ShipmentInTransit)),
    (
        "OO",
        "Paperwork Received - Did not Receive Shipment or Equipment",
        None,
    ),
    ("OP", "All Paperwork has been Provided to Consignee", None),
    (
        "P1",
        "Departed Terminal Location",
        Some(T::ShipmentInTransit),
    ),
    ("PA", "Partial Shipment", None),
    (
        "PR",
        "U.S. Customs Hold at In-Bond Location",
        Some(T::ShipmentDelayed),
    ),
    (
        "R1",
        "Received from Prior Carrier",
        Some(T::ShipmentInTransit),
    ),
    (
        "RH",
        "Shipment Conveyance Released from Hold",
        Some(T::ShipmentInTransit),
    ),
    (
        "RL",
        "Rail Departure from Origin Intermodal Ramp",
        Some(T::ShipmentInTransit),
    ),
    (
        "S1",
        "Trailer Spotted at Consignee's Location",
        Some(T::ShipmentOutForDelivery),
    ),
    ("SD", "Shipment Delayed", Some(T::ShipmentDelayed)),
    ("UC", "Shipment Container Unloaded from Chassis", None),
    (
        "X1",
        "Arrived at Delivery Location",
        Some(T::ShipmentOutForDelivery),
    ),
    (
        "X2",
        "Estimated Date and/or Time of Arrival at Consignee's Location",
        Some(T::ShipmentEtaUpdated),
    ),
    ("X3", "Arrived at Pick-up Location", None),
    (
        "X4",
        "Arrived at Terminal Location",
        Some(T::ShipmentInTransit),
    ),
    (
        "X5",
        "Arrived at Delivery Location Loading Dock",
        Some(T::ShipmentOutForDelivery),
    ),
    (
        "X6",
        "En Route to Delivery Location",
        Some(T::ShipmentInTransit),
    ),
    ("X8", "Arrived at Pick-up Location Loading Dock", None),
    ("XB", "Shipment Acknowledged", None),
    (
        "Y1",
        "Arrived at the Multiple Country Consolidation (MCC) Hub",
        Some(T::ShipmentInTransit),
    ),
];

/// Who an AT702 reason puts the next move on: SLA clocks pause for consignee-caused events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionOwner {
    Carrier,
    Consignee,
    Shipper,
    Customs,
    External,
    None,
}

impl ActionOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionOwner::Carrier => "carrier",
            ActionOwner::Consignee => "consignee",
            ActionOwner::Shipper => "shipper",
            ActionOwner::Customs => "customs",
            ActionOwner::External => "external",
            ActionOwner::None => "none",
        }
    }
}

use ActionOwner as O;

/// AT702: the reason code, its canonical reason word and who must act.
pub const AT702: &[(&str, &str, ActionOwner)] = &[
    ("A1", "missed_delivery", O::Carrier),
    ("A2", "incorrect_address", O::Shipper),
    ("A3", "indirect_delivery", O::Carrier),
    ("A5", "unable_to_locate", O::Carrier),
    ("A6", "address_corrected_delivery_attempted", O::Carrier),
    ("AA", "mis_routed", O::Carrier),
    ("AD", "customer_requested_future_delivery", O::Consignee),
    ("AE", "restricted_articles_unacceptable", O::Shipper),
    ("AF", "accident", O::Carrier),
    ("AG", "consignee_related", O::Consignee),
    ("AH", "driver_related", O::Carrier),
    ("AI", "mechanical_breakdown", O::Carrier),
    ("AJ", "other_carrier_related", O::Carrier),
    ("AK", "damaged_rewrapped_in_hub", O::Carrier),
    ("AL", "previous_stop", O::Carrier),
    ("AM", "shipper_related", O::Shipper),
    ("AN", "holiday_closed", O::External),
    ("AO", "weather", O::External),
    ("AP", "awaiting_export", O::Customs),
    ("AQ", "recipient_unavailable", O::Consignee),
    ("AR", "improper_international_paperwork", O::Shipper),
    ("AS", "customs_documentation", O::Customs),
    ("AT", "unable_to_contact_recipient_for_broker", O::Consignee),
    ("AU", "civil_event", O::External),
    ("AV", "exceeds_service_limitations", O::Shipper),
    ("AW", "past_cut_off_time", O::Shipper),
    ("AX", "insufficient_pick_up_time", O::Shipper),
    ("AY", "missed_pick_up", O::Carrier),
    ("AZ", "alternate_carrier_delivered", O::Carrier),
    ("B1", "consignee_closed", O::Consignee),
    ("B2", "trap_for_customer", O::Consignee),
    ("B4", "held_for_payment", O::Consignee),
    ("B5", "held_for_consignee", O::Consignee),
    ("B8", "improper_unloading_facility", O::Consignee),
    ("B9", "receiving_time_restricted", O::Consignee),
    ("BB", "held_per_shipper", O::Shipper),
    ("BC", "missing_documents", O::Shipper),
    ("BD", "border_clearance", O::Customs),
    ("BE", "road_conditions", O::External),
    ("BF", "carrier_keying_error", O::Carrier),
    ("BG", "other", O::None),
    ("BH", "insufficient_time_to_complete_delivery", O::Carrier),
    ("BI", "cartage_agent", O::Carrier),
    ("BJ", "customer_wanted_earlier_delivery", O::Consignee),
    ("BK", "prearranged_appointment", O::Consignee),
    ("BL", "held_for_protective_service", O::Carrier),
    ("BM", "flatcar_shortage", O::Carrier),
    ("BN", "failed_to_release_billing", O::Shipper),
    ("BO", "railroad_failed_to_meet_schedule", O::Carrier),
    ("BP", "load_shifted", O::Carrier),
    ("BQ", "shipment_overweight", O::Shipper),
    ("BR", "train_derailment", O::Carrier),
    ("BS", "refused_by_customer", O::Consignee),
    ("BT", "returned_to_shipper", O::Carrier),
    ("C1", "waiting_for_customer_pick_up", O::Consignee),
    ("C2", "credit_hold", O::Consignee),
    ("C3", "suspended_at_customer_request", O::Consignee),
    ("C4", "customer_vacation", O::Consignee),
    ("C5", "customer_strike", O::Consignee),
    ("C6", "waiting_shipping_instructions", O::Shipper),
    ("C7", "waiting_for_customer_specified_carrier", O::Consignee),
    ("C8", "collect_on_delivery_required", O::Consignee),
    ("C9", "cash_not_available_from_consignee", O::Consignee),
    ("CA", "customs", O::Customs),
    ("CB", "no_requested_arrival_date", O::Shipper),
    ("CC", "no_requested_arrival_time", O::Shipper),
    ("D1", "carrier_dispatch_error", O::Carrier),
    ("D2", "driver_not_available", O::Carrier),
    ("F1", "non_express_clearance_delay", O::Customs),
    ("F2", "international_non_carrier_delay", O::External),
    ("HB", "held_pending_appointment", O::Consignee),
    ("NA", "normal_appointment", O::None),
    ("NS", "normal_status", O::None),
    ("P1", "processing_delay", O::Carrier),
    ("P2", "waiting_inspection", O::Customs),
    ("P3", "production_falldown", O::Shipper),
    ("P4", "held_for_full_carrier_load", O::Carrier),
    ("RC", "reconsigned", O::Shipper),
    ("S1", "delivery_shortage", O::Carrier),
    ("T1", "tractor_with_sleeper_not_available", O::Carrier),
    ("T2", "tractor_not_available", O::Carrier),
    ("T3", "trailer_not_available", O::Carrier),
    ("T4", "trailer_not_usable_prior_product", O::Carrier),
    ("T5", "trailer_class_not_available", O::Carrier),
    ("T6", "trailer_volume_not_available", O::Carrier),
    ("T7", "insufficient_delivery_time", O::Carrier),
];

/// What a W1201 code says about a shipped line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineOutcome {
    Complete,
    /// Shipped short; the rest follows later.
    PartialBackordered,
    /// Shipped short; the rest will not follow.
    Short,
    Substituted,
    Cancelled,
    OutOfStock,
    /// Says nothing definite about the line: the quantities decide.
    ByQuantity,
}

impl LineOutcome {
    pub fn line_status(self) -> &'static str {
        match self {
            LineOutcome::Complete => "complete",
            LineOutcome::PartialBackordered => "partial_backordered",
            LineOutcome::Short | LineOutcome::ByQuantity => "short",
            LineOutcome::Substituted => "substituted",
            LineOutcome::Cancelled => "cancelled",
            LineOutcome::OutOfStock => "out_of_stock",
        }
    }
}

use LineOutcome as L;

/// Element 368 (Shipment/Order Status Code) as used in W1201.
pub const W1201: &[(&str, &str, LineOutcome)] = &[
    ("AA", "Multiple Pickup Same Destination", L::ByQuantity),
    ("AB", "Available to Ship - Billed Quantity", L::ByQuantity),
    ("AN", "Available Now - No Shipping Schedule", L::ByQuantity),
    ("AP", "Allocation", L::ByQuantity),
    (
        "AS",
        "Available Now - Scheduled to Ship (date)",
        L::ByQuantity,
    ),
    ("AU", "Available to Ship - Unbilled Quantity", L::ByQuantity),
    ("AV", "Available", L::ByQuantity),
    (
        "BK",
        "Back Ordered from Previous Order",
        L::PartialBackordered,
    ),
    (
        "BM",
        "Backordered, Manufacturer, Out-of-Stock",
        L::PartialBackordered,
    ),
    ("BO", "Back Ordered", L::PartialBackordered),
    (
        "BP",
        "Shipment Partial, Back Order to Ship on (Date)",
        L::PartialBackordered,
    ),
    ("BT", "Billed total", L::ByQuantity),
    ("BW", "Billed week-to-date", L::ByQuantity),
    ("CA", "Customer Inquiry - All Items", L::ByQuantity),
    ("CB", "Components Missing", L::Short),
    ("CC", "Shipment Complete on (Date)", L::Complete),
    ("CD", "Consolidated Freight", L::ByQuantity),
    (
        "CE",
        "Shipment Includes Extra Items to Meet Price Break",
        L::Complete,
    ),
    ("CF", "Consolidated Load", L::ByQuantity),
    ("CI", "Customer Inquiry - Shipped Items Only", L::ByQuantity),
    ("CK", "Cancelled from Previous Order", L::Cancelled),
    ("CL", "Complete", L::Complete),
    (
        "CM",
        "Shipment Complete with Additional Quantity",
        L::Complete,
    ),
    ("CN", "Next Carrier Move on (Date)", L::ByQuantity),
    (
        "CO",
        "Customer Inquiry - Unshipped Items Only",
        L::ByQuantity,
    ),
    (
        "CP",
        "Partial Shipment on (Date), Considered No Backorder",
        L::Short,
    ),
    ("CS", "Shipment Complete with Substitution", L::Substituted),
    ("CT", "Combination", L::ByQuantity),
    ("CU", "Cancelled Line Item", L::Cancelled),
    ("DA", "Due for Assortment", L::ByQuantity),
    ("DD", "Delivered to Destination on (Date)", L::Complete),
    ("DE", "Deleted Order", L::Cancelled),
    ("DI", "Discontinued", L::Cancelled),
    ("DO", "Diverted Order", L::ByQuantity),
    ("DP", "Dispose", L::Cancelled),
    ("DR", "Dating Requirements", L::ByQuantity),
    ("DS", "Out Of Stock Condition", L::OutOfStock),
    ("EC", "Equipment Capacity", L::ByQuantity),
    ("ED", "Expect to Ship By (Date)", L::PartialBackordered),
    ("EW", "Expect To Ship Week of (Date)", L::PartialBackordered),
    ("EX", "Expect to Deliver by", L::ByQuantity),
    (
        "FS",
        "Units Not Shipped By Agent - To Be Shipped From Factory",
        L::PartialBackordered,
    ),
    ("HQ", "Held Awaiting Qualification", L::ByQuantity),
    ("IC", "Item Canceled", L::Cancelled),
    ("ID", "Insufficient Information", L::ByQuantity),
    ("IN", "In Process", L::ByQuantity),
    ("IP", "Inquiry by Purchase Order", L::ByQuantity),
    (
        "IS",
        "Item Represents Substitution from Original Order",
        L::Substituted,
    ),
    ("LM", "Shipment late", L::ByQuantity),
    ("LS", "Last Shipment on (Date)", L::Complete),
    ("LW", "Number of Late Weeks", L::ByQuantity),
    ("MC", "Missing Components Furnished", L::Complete),
    ("NF", "Not Yet Published", L::OutOfStock),
    ("NN", "Not in Process - No Shipping Schedule", L::ByQuantity),
    (
        "NS",
        "Not In Process, Scheduled to Ship on (Date)",
        L::PartialBackordered,
    ),
    ("NY", "No Shipping Schedule", L::ByQuantity),
    ("OB", "Out of Bill & Hold Goods", L::OutOfStock),
    (
        "OF",
        "Order Sent to Factory for Production on (Date)",
        L::PartialBackordered,
    ),
    ("OP", "Out of Print", L::OutOfStock),
    ("OR", "Temporarily Out of Stock - Reorder", L::OutOfStock),
    ("PA", "Purchase Order Inquiry - All Items", L::ByQuantity),
    ("PD", "Purchase Order Complete", L::Complete),
    ("PH", "Product On Hold", L::ByQuantity),
    (
        "PI",
        "Purchase Order Inquiry - Shipped Items Only",
        L::ByQuantity,
    ),
    ("PK", "Packed-to-Date as of (Date)", L::ByQuantity),
    ("PN", "In Process - No Shipping Schedule", L::ByQuantity),
    (
        "PO",
        "Purchase Order Inquiry - Unshipped Items Only",
        L::ByQuantity,
    ),
    (
        "PP",
        "Purchase Order Inquiry - Specific Items",
        L::ByQuantity,
    ),
    ("PR", "Partial Shipment", L::Short),
    (
        "PS",
        "In Process, Scheduled to Ship On (Date)",
        L::PartialBackordered,
    ),
    ("QN", "Quantity Net Due", L::ByQuantity),
    ("QP", "Quantity Past Due", L::ByQuantity),
    (
        "RD",
        "Revised Expect to Ship By (Date)",
        L::PartialBackordered,
    ),
    (
        "RW",
        "Revised Expect to Ship Week of (Date)",
        L::PartialBackordered,
    ),
    (
        "SB",
        "Seconds Available to Ship - Billed Quantity",
        L::ByQuantity,
    ),
];

/// Element 353 (Transaction Set Purpose Code) as used in BSN01 of an 856: whether the notice
/// reports goods that left (`true`) or withdraws an earlier one (`false`: kept, not applied).
pub const BSN01: &[(&str, &str, bool)] = &[
    ("00", "Original", true),
    ("01", "Cancellation", false),
    ("03", "Delete", false),
    ("04", "Change", true),
    ("05", "Replace", true),
    ("06", "Confirmation", true),
    ("07", "Duplicate", true),
];

/// Element 668 (Line Item Status Code) as used in SN108 of an 856.
pub const SN108: &[(&str, &str, LineOutcome)] = &[
    (
        "AA",
        "Item Accepted - Order Forwarded to Alternate Supplier Location",
        L::ByQuantity,
    ),
    ("AC", "Item Accepted and Shipped", L::Complete),
    (
        "AR",
        "Item Accepted and Released for Shipment",
        L::ByQuantity,
    ),
    (
        "BP",
        "Item Accepted - Partial Shipment, Balance Backordered",
        L::PartialBackordered,
    ),
    ("DR", "Item Accepted - Date Rescheduled", L::ByQuantity),
    ("IA", "Item Accepted", L::ByQuantity),
    ("IB", "Item Backordered", L::PartialBackordered),
    ("IC", "Item Accepted - Changes Made", L::ByQuantity),
    ("ID", "Item Deleted", L::Cancelled),
    ("IE", "Item Accepted, Price Pending", L::ByQuantity),
    ("IF", "Item on Hold, Incomplete Description", L::ByQuantity),
    ("IH", "Item on Hold", L::ByQuantity),
    ("IP", "Item Accepted - Price Changed", L::ByQuantity),
    ("IQ", "Item Accepted - Quantity Changed", L::ByQuantity),
    ("IR", "Item Rejected", L::Cancelled),
    ("IW", "Item on Hold-Waiver Required", L::ByQuantity),
    ("R1", "Item Rejected, Not a Contract Item", L::Cancelled),
    (
        "R2",
        "Item Rejected, Invalid Item Product Number",
        L::Cancelled,
    ),
    ("R3", "Item Rejected, Invalid Unit of Issue", L::Cancelled),
    (
        "R4",
        "Item Rejected, Contract Item not Available",
        L::Cancelled,
    ),
    (
        "R5",
        "Item Rejected, Reorder Item as a Just in Time (JIT) Order",
        L::Cancelled,
    ),
    (
        "R6",
        "Item Rejected, Reorder Item as an Extended Delivery Order (EDO)",
        L::Cancelled,
    ),
    (
        "R7",
        "Item Rejected, Reorder Item as a Drop Shipment",
        L::Cancelled,
    ),
    (
        "R8",
        "Item Rejected, Reorder Item as a Surge Order",
        L::Cancelled,
    ),
    ("SP", "Item Accepted - Schedule Date Pending", L::ByQuantity),
];

pub fn bsn01(code: &str) -> Option<bool> {
    BSN01
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, d)| *d)
}

pub fn sn108(code: &str) -> Option<LineOutcome> {
    SN108
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, o)| *o)
}

pub fn at701(code: &str) -> Option<Option<EventType>> {
    AT701
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, t)| *t)
}

/// AT701 statuses that wait on the consignee (refused at the door, waiting to be collected).
pub fn waits_on_consignee(status: &str) -> bool {
    matches!(status, "A7" | "AW")
}

/// AT702 reasons that send the parcel back to the shipper, whatever AT701 says happened
/// (`BT` Returned to Shipper with `CA` Shipment Cancelled, say).
pub fn returns_to_shipper(reason: &str) -> bool {
    reason == "BT"
}

pub fn at702(code: &str) -> Option<(&'static str, ActionOwner)> {
    AT702
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, reason, owner)| (*reason, *owner))
}

pub fn w1201(code: &str) -> Option<LineOutcome> {
    W1201
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, _, o)| *o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_table_lists_each_code_once() {
        let at701: HashSet<_> = AT701.iter().map(|r| r.0).collect();
        let at702: HashSet<_> = AT702.iter().map(|r| r.0).collect();
        let w1201: HashSet<_> = W1201.iter().map(|r| r.0).collect();
        let sn108: HashSet<_> = SN108.iter().map(|r| r.0).collect();
        assert_eq!(sn108.len(), SN108.len());
        assert_eq!(at701.len(), AT701.len());
        assert_eq!(at702.len(), AT702.len());
        assert_eq!(w1201.len(), W1201.len());
    }

    #[test]
    fn the_w12_statuses_the_warehouse_sends_mean_what_they_say() {
        let cases = [
            ("CC", "complete"),
            ("BP", "partial_backordered"),
            ("CP", "short"),
            ("IS", "substituted"),
            ("CS", "substituted"),
            ("IC", "cancelled"),
            ("CU", "cancelled"),
            ("DS", "out_of_stock"),
        ];
        for (code, status) in cases {
            assert_eq!(w1201(code).unwrap().line_status(), status, "{code}");
        }
    }

    #[test]
    fn the_214_statuses_of_the_fixture_and_the_csv_map_to_milestones() {
        let cases = [
            ("AF", Some(T::ShipmentPickedUp)),
            ("X1", Some(T::ShipmentOutForDelivery)),
            ("D1", Some(T::ShipmentDelivered)),
            ("AH", Some(T::ShipmentDeliveryAttempted)),
            ("SD", Some(T::ShipmentDelayed)),
            ("A3", Some(T::ShipmentReturnedToSender)),
            ("A7", Some(T::ShipmentException)),
            ("AW", Some(T::ShipmentAvailableForPickup)),
            ("X3", None),
        ];
        for (code, expected) in cases {
            assert_eq!(at701(code), Some(expected), "{code}");
        }
        assert_eq!(at701("ZZ"), None, "unknown codes are not guessed");
    }

    #[test]
    fn consignee_caused_reasons_say_so() {
        assert_eq!(
            at702("AG"),
            Some(("consignee_related", ActionOwner::Consignee))
        );
        assert_eq!(at702("AO"), Some(("weather", ActionOwner::External)));
        assert_eq!(at702("NS").unwrap().1, ActionOwner::None);
    }
}
