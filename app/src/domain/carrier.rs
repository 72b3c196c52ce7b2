//! Carriers as one name. Senders name the same carrier differently: an Odoo delivery method says
//! `UPS`, a warehouse its SCAC `UPSN`, AfterShip its slug `ups`, EasyPost `UPSDAP`. A parcel is
//! known by (carrier, tracking number), so they are compared by this key.

/// SCACs and provider spellings of the common carriers, each with its key. Anything else keys
/// on itself, lower-cased with separators dropped (`DHL Express` and `dhl-express` agree).
const ALIASES: &[(&str, &str)] = &[
    ("upsn", "ups"),
    ("upss", "ups"),
    ("upsdap", "ups"),
    ("upsmailinnovations", "ups"),
    ("fdeg", "fedex"),
    ("fdxg", "fedex"),
    ("fdxe", "fedex"),
    ("fdx", "fedex"),
    ("fxfe", "fedex"),
    ("fedexground", "fedex"),
    ("fedexexpress", "fedex"),
    ("usps", "usps"),
    ("uspsreturns", "usps"),
    ("dhlexpress", "dhl"),
    ("dhle", "dhl"),
    ("dhlecommerce", "dhl"),
    ("dhlglobalmail", "dhl"),
];

/// The key a carrier name compares by; `None` for a blank name.
pub fn carrier_key(name: &str) -> Option<String> {
    let plain: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if plain.is_empty() {
        return None;
    }
    Some(
        ALIASES
            .iter()
            .find(|(alias, _)| *alias == plain)
            .map_or(plain, |(_, key)| key.to_string()),
    )
}

/// Whether two parcels' carriers can be the same: equal keys, or either one unknown.
pub fn same_carrier(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_senders_spelling_of_a_carrier_has_one_key() {
        for name in ["UPS", "ups", "UPSN", "UPSDAP", "U.P.S."] {
            assert_eq!(carrier_key(name).as_deref(), Some("ups"), "{name}");
        }
        for name in ["FedEx", "FDEG", "fedex_ground", "FXFE"] {
            assert_eq!(carrier_key(name).as_deref(), Some("fedex"), "{name}");
        }
        assert_eq!(carrier_key("DHL Express").as_deref(), Some("dhl"));
        assert_eq!(
            carrier_key("Royal-Mail").as_deref(),
            Some("royalmail"),
            "an unlisted carrier keys on itself"
        );
        assert_eq!(carrier_key(" - "), None);
    }

    #[test]
    fn an_unknown_carrier_matches_any_but_two_known_ones_must_agree() {
        assert!(same_carrier(Some("ups"), Some("ups")));
        assert!(!same_carrier(Some("ups"), Some("fedex")));
        assert!(same_carrier(None, Some("fedex")));
        assert!(same_carrier(Some("ups"), None));
    }
}
