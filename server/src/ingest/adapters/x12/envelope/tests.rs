use super::*;

/// The recorded partner files (copied from the shared fixtures into the repository).
const X945: &str = include_str!("../../../../../tests/fixtures/x12/945_partial_backorder.edi");
const X214: &str = include_str!("../../../../../tests/fixtures/x12/214_ltl_multistop.edi");
const X856: &str = include_str!("../../../../../tests/fixtures/x12/856_asn.edi");

#[test]
fn a_945_parses_into_one_group_with_one_counted_transaction_set() {
    let interchange = parse(X945).unwrap();
    assert_eq!(interchange.sender, "NPLT3PL");
    assert_eq!(interchange.receiver, "MILEPOST");
    assert_eq!(interchange.usage, "P");
    let group = &interchange.groups[0];
    assert_eq!(
        (group.functional_id.as_str(), group.version.as_str()),
        ("SW", "004010")
    );
    let set = &group.transactions[0];
    assert_eq!(set.id, "945");
    assert_eq!(set.segments.len(), 13, "SE01 = 15 counts ST and SE too");
    let partial = set
        .segments
        .iter()
        .filter(|s| s.id == "W12")
        .nth(1)
        .unwrap();
    assert_eq!(partial.element(1), Some("BP"));
    assert_eq!(partial.element(8), Some("MUG-RED-12"));
    assert_eq!(partial.element(6), None, "empty elements read as absent");
}

#[test]
fn the_214_and_856_fixtures_parse_whatever_their_line_breaks() {
    let status = parse(X214).unwrap();
    assert_eq!(status.groups[0].transactions[0].id, "214");
    assert!(
        status.groups[0].transactions[0]
            .segments
            .iter()
            .filter(|s| s.id == "AT7")
            .count()
            >= 4
    );
    let asn = parse(X856).unwrap();
    assert_eq!(asn.groups[0].transactions[0].id, "856");
}

#[test]
fn several_transaction_sets_in_one_group_are_all_kept() {
    let set = |n: &str| format!("ST*945*{n}~W06*F*S{n}~SE*3*{n}~");
    let doc = X945.split("ST*945").next().unwrap().to_string()
        + &set("0001")
        + &set("0002")
        + "GE*2*6124~IEA*1*000006124~";
    let interchange = parse(&doc).unwrap();
    let controls: Vec<&str> = interchange.groups[0]
        .transactions
        .iter()
        .map(|t| t.control_number.as_str())
        .collect();
    assert_eq!(controls, ["0001", "0002"]);
}

#[test]
fn a_truncated_interchange_says_what_is_missing() {
    let cut = &X945[..X945.find("GE*").unwrap()];
    assert_eq!(parse(cut), Err(X12Error::Truncated { expected: "GE" }));
    let mid_set = &X945[..X945.find("SE*").unwrap()];
    assert_eq!(parse(mid_set), Err(X12Error::Truncated { expected: "SE" }));
}

#[test]
fn a_wrong_segment_count_names_the_trailer_and_both_numbers() {
    let err = parse(&X945.replace("SE*15*0001", "SE*14*0001")).unwrap_err();
    assert_eq!(
        err,
        X12Error::CountMismatch {
            position: 17,
            trailer: "SE",
            what: "segments",
            declared: "14".into(),
            actual: 15
        }
    );
    assert_eq!(
        err.to_string(),
        "segment 17 (SE) counts 14 segments, but 15 were sent"
    );
}

#[test]
fn wrong_group_and_interchange_counts_are_refused() {
    assert!(matches!(
        parse(&X945.replace("GE*1*6124", "GE*2*6124")),
        Err(X12Error::CountMismatch { trailer: "GE", .. })
    ));
    assert!(matches!(
        parse(&X945.replace("IEA*1*000006124", "IEA*3*000006124")),
        Err(X12Error::CountMismatch { trailer: "IEA", .. })
    ));
}

#[test]
fn control_numbers_must_match_their_headers() {
    assert!(matches!(
        parse(&X945.replace("SE*15*0001", "SE*15*0002")),
        Err(X12Error::ControlMismatch { trailer: "SE", .. })
    ));
    assert!(matches!(
        parse(&X945.replace("GE*1*6124", "GE*1*6125")),
        Err(X12Error::ControlMismatch { trailer: "GE", .. })
    ));
}

#[test]
fn anything_but_an_isa_envelope_is_refused() {
    assert_eq!(parse("   "), Err(X12Error::Empty));
    assert!(matches!(
        parse("{\"json\": true}"),
        Err(X12Error::BadIsa(_))
    ));
    assert!(matches!(parse("ISA*00*short~"), Err(X12Error::BadIsa(_))));
}

#[test]
fn data_after_the_interchange_is_refused() {
    let err = parse(&format!("{X945}GS*SW*X*Y*20260303*1641*1*X*004010~")).unwrap_err();
    assert!(
        matches!(err, X12Error::Unexpected { ref id, .. } if id == "GS"),
        "{err}"
    );
}

#[test]
fn other_separators_declared_in_the_isa_are_honoured() {
    let doc = X945
        .replace('*', "|")
        .replace('~', "\n")
        .replace("|>\n", "|^\n");
    // With a newline as the segment terminator the ISA is still 106 characters.
    let interchange = parse(&doc).unwrap();
    assert_eq!(interchange.groups[0].transactions[0].segments.len(), 13);
}

/// Every prefix and every single-character corruption of the fixtures: the parser answers with
/// a result or an error, never a panic.
#[test]
fn mangled_input_never_panics() {
    for doc in [X945, X214, X856] {
        let chars: Vec<char> = doc.chars().collect();
        for end in 0..chars.len() {
            let prefix: String = chars[..end].iter().collect();
            let _ = parse(&prefix);
        }
        for i in (0..chars.len()).step_by(3) {
            for replacement in ['*', '~', '>', 'X', '\n', 'é'] {
                let mut mangled = chars.clone();
                mangled[i] = replacement;
                let _ = parse(&mangled.into_iter().collect::<String>());
            }
        }
    }
}
