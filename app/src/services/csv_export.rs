//! CSV exports: RFC 4180 by the `csv` crate, with formula injection neutralised: a cell a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) gets a leading apostrophe, so it opens as the text it is.

/// A cell as it may be written.
pub fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// The rows (the first is the header) as one CSV text.
pub fn to_csv(rows: &[Vec<String>]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(row.iter().map(|c| cell(c)))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_open_as_text_and_quotes_survive_a_round_trip() {
        let rows = vec![
            vec!["order".to_string(), "note".to_string()],
            vec![
                "=HYPERLINK(\"x\")".to_string(),
                "a, \"quoted\" note".to_string(),
            ],
            vec!["-1".to_string(), "@SUM(A1)".to_string()],
        ];
        let text = to_csv(&rows).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let back: Vec<Vec<String>> = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(
            back,
            vec![
                vec![
                    "'=HYPERLINK(\"x\")".to_string(),
                    "a, \"quoted\" note".to_string()
                ],
                vec!["'-1".to_string(), "'@SUM(A1)".to_string()],
            ]
        );
    }
}
