//! The code-table tests: each provider's documented codes, written down in a TSV file under
//! `tests/fixtures/carriers/` from the provider's own documentation (cited in docs/carriers.md),
//! with what Milepost must make of each. A test per adapter feeds one message per row and checks
//! the canonical type, the reason, whether the parcel's journey ends and whether the next move
//! is the consignee's. The expectations are written apart from the adapters' tables, so a wrong
//! table entry fails its row.

use super::Parsed;

/// The data rows of a TSV file (`#` lines are comments), each split into exactly `columns`
/// cells; a malformed row fails the test that reads it.
pub fn rows(tsv: &str, columns: usize) -> Vec<Vec<&str>> {
    tsv.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            assert_eq!(cells.len(), columns, "a row of {columns} columns: {l:?}");
            cells
        })
        .collect()
}

/// What one code must read as: `kind` is the canonical type (`-`: no milestone at all),
/// `reason` the reason code (`-`: none), `terminal` and `consignee` are `yes` or `no`.
pub struct Expected<'a> {
    pub kind: &'a str,
    pub reason: &'a str,
    pub terminal: &'a str,
    pub consignee: &'a str,
}

impl<'a> Expected<'a> {
    /// The last four cells of a row.
    pub fn from_tail(row: &[&'a str]) -> Self {
        let [kind, reason, terminal, consignee] = row[row.len() - 4..] else {
            unreachable!("four cells")
        };
        Expected {
            kind,
            reason,
            terminal,
            consignee,
        }
    }

    /// Checks the message parsed for the row named `code`: no unknown code, and its first
    /// event (or no event) as expected.
    pub fn check(&self, code: &str, parsed: &Parsed) {
        assert!(
            parsed.unknown_codes.is_empty(),
            "{code}: documented, so known ({:?})",
            parsed.unknown_codes
        );
        if self.kind == "-" {
            assert!(
                parsed.events.is_empty(),
                "{code} carries no milestone, got {:?}",
                parsed
                    .events
                    .iter()
                    .map(|e| e.event_type)
                    .collect::<Vec<_>>()
            );
            return;
        }
        let e = parsed
            .events
            .first()
            .unwrap_or_else(|| panic!("{code}: an event"));
        assert_eq!(e.event_type.as_str(), self.kind, "{code}: type");
        let want_reason = (self.reason != "-").then_some(self.reason);
        assert_eq!(
            e.data["reason"]["code"].as_str(),
            want_reason,
            "{code}: reason"
        );
        assert_eq!(
            e.event_type.ends_journey(),
            self.terminal == "yes",
            "{code}: journey ends"
        );
        assert_eq!(
            e.data["action_owner"] == "consignee",
            self.consignee == "yes",
            "{code}: the consignee's move"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::rows;

    /// docs/carriers.md renders the TSV files (scripts/code-tables.py); a row added to a file
    /// and not to the documentation fails here.
    #[test]
    fn every_tested_code_is_in_the_documentation() {
        let doc = include_str!("../../../../docs/carriers.md");
        let files: &[(&str, usize, &[usize])] = &[
            (
                include_str!("../../../tests/fixtures/carriers/aftership_subtags.tsv"),
                5,
                &[0],
            ),
            (
                include_str!("../../../tests/fixtures/carriers/easypost_codes.tsv"),
                7,
                &[0, 1],
            ),
            (
                include_str!("../../../tests/fixtures/carriers/shippo_codes.tsv"),
                7,
                &[0, 1],
            ),
            (
                include_str!("../../../tests/fixtures/x12/214_codes.tsv"),
                7,
                &[0, 1],
            ),
            (
                include_str!("../../../tests/fixtures/x12/945_w1201_codes.tsv"),
                5,
                &[0],
            ),
            (
                include_str!("../../../tests/fixtures/x12/856_codes.tsv"),
                5,
                &[0, 1],
            ),
        ];
        for (tsv, columns, codes) in files {
            for row in rows(tsv, *columns) {
                let cells: Vec<String> = codes
                    .iter()
                    .map(|&i| row[i])
                    .map(|c| {
                        if c == "-" {
                            String::new()
                        } else {
                            format!("`{c}`")
                        }
                    })
                    .collect();
                let line = format!("| {} |", cells.join(" | "));
                assert!(
                    doc.lines().any(|l| l.starts_with(&line)),
                    "docs/carriers.md lacks the row {line} (run scripts/code-tables.py)"
                );
            }
        }
    }
}
